package docker

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// logSink takes a container's two output streams into its log. It is
// package jsonlog's Writer (helper "logs", rotation and all) once that
// is merged; until then openLogSink writes the same json-file lines
// without rotation.
type logSink interface {
	Copy(stream string, r io.Reader) error
	Close() error
}

// LogPath is where a container's json-file log is, as Docker names it.
func LogPath(dir, id string) string { return filepath.Join(dir, id+"-json.log") }

var openLogSink = func(path string, opts map[string]string) (logSink, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", path, err)
	}
	return &plainJSONLog{f: f}, nil
}

// plainJSONLog writes Docker's json-file lines: {"log","stream","time"}.
type plainJSONLog struct {
	mu sync.Mutex
	f  *os.File
}

func (l *plainJSONLog) Copy(stream string, r io.Reader) error {
	br := bufio.NewReaderSize(r, 16<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			data, _ := json.Marshal(struct {
				Log    string `json:"log"`
				Stream string `json:"stream"`
				Time   string `json:"time"`
			}{line, stream, time.Now().UTC().Format(time.RFC3339Nano)})
			l.mu.Lock()
			_, werr := l.f.Write(append(data, '\n'))
			l.mu.Unlock()
			if werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (l *plainJSONLog) Close() error { return l.f.Close() }
