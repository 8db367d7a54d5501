package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/internal/monitorproc"
)

// Pull policies, run's and create's --pull.
const (
	PullMissing = "missing" // pull only an image the store lacks (the default)
	PullAlways  = "always"  // pull before every run, even a stored image
	PullNever   = "never"   // use the store's image or fail
)

// EnsureImage is the image a container of ref is made from, pulled as
// policy says ("" is PullMissing), as Docker's run and create do. A pull
// reports to progress (Docker's lines; redrawn bars when progress is a
// terminal), the first of them "Unable to find image 'REF' locally" when
// the store lacked it. A pull that fails before anything was fetched (an
// image the registry doesn't have) is that one line in the error, and
// leaves nothing in the store.
func EnsureImage(ctx context.Context, store *image.Store, ref, policy string, progress io.Writer) (*image.Image, error) {
	switch policy {
	case "", PullMissing, PullNever, PullAlways:
	default:
		return nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("invalid pull option: %q: must be one of %q, %q or %q", policy, PullMissing, PullAlways, PullNever))
	}
	if policy != PullAlways {
		img, err := store.Get(ref)
		if err == nil || !errors.Is(err, image.ErrNotFound) {
			return img, err
		}
		if policy == PullNever || !pullable(ref) {
			return nil, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("No such image: %s (not found locally, and --pull %s)", familiar(ref), orDefault(policy)))
		}
	}
	if progress == nil {
		progress = io.Discard
	}
	w := progress
	if policy != PullAlways {
		w = &prefaced{w: progress, preface: fmt.Sprintf("Unable to find image '%s' locally\n", familiar(ref))}
	}
	// A run -d's Go runtime starts with one P (monitorproc.Detach); its
	// layers are fetched and unpacked side by side.
	if monitorproc.OneP() {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(runtime.NumCPU()))
	}
	img, err := store.Pull(ctx, ref, w)
	if err != nil {
		if p, ok := w.(*prefaced); ok && !p.done {
			// Nothing was written: the preface and the failure are one line.
			return nil, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Unable to find image '%s' locally: %v", familiar(ref), err))
		}
		return nil, err
	}
	return img, nil
}

func orDefault(policy string) string {
	if policy == "" {
		return PullMissing
	}
	return policy
}

// pullable says whether ref is a name a registry could have: an ID (or
// its prefix) the store lacks is not.
func pullable(ref string) bool {
	_, err := image.NormalizeName(ref)
	return err == nil
}

// familiar is ref as Docker shows it in its messages: "alpine:latest".
func familiar(ref string) string {
	n, err := image.NormalizeName(ref)
	if err != nil {
		return ref
	}
	return image.FamiliarName(n)
}

// prefaced writes preface before the first write, so that the "Unable
// to find image" line shows only once the pull has something to report.
// It keeps the file's descriptor in view, for the pull to tell a terminal.
type prefaced struct {
	w       io.Writer
	preface string
	done    bool
}

func (p *prefaced) Write(b []byte) (int, error) {
	if !p.done {
		p.done = true
		if _, err := io.WriteString(p.w, p.preface); err != nil {
			return 0, err
		}
	}
	return p.w.Write(b)
}

// Fd is the file's, when progress goes to a file.
func (p *prefaced) Fd() uintptr {
	if f, ok := p.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}
