package docker

import (
	"io"

	"github.com/minirun/minirun/docker/jsonlog"
)

// logSink takes a container's two output streams into its log.
type logSink interface {
	Copy(stream string, r io.Reader) error
	Close() error
}

// openLogSink is the log lc asks for at path: jsonlog's json-file
// writer, rotated by its options, or with --log-driver none a sink that
// keeps nothing (the streams are still drained, so the container never
// blocks on a full pipe).
func openLogSink(path string, lc LogConfig) (logSink, error) {
	if lc.Type == LogDriverNone {
		return discardLog{}, nil
	}
	o, err := lc.Options()
	if err != nil {
		return nil, err
	}
	return jsonlog.Open(path, o)
}

type discardLog struct{}

func (discardLog) Copy(_ string, r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

func (discardLog) Close() error { return nil }
