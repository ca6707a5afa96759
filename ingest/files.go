package ingest

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/go-tlsrpt/tlsrpt/internal/capped"
)

// Files is a Source of files, one input each, in the order of Paths;
// Item.ID is the path. A file that cannot be opened or read is an Item
// with Err (its fate is FateUnreadable), one over MaxMessageSize an Item
// with an Err matching tlsrpt.ErrTooLarge. It does not implement Marker.
type Files struct {
	// Paths are the files to read.
	Paths []string
	// MaxMessageSize caps the bytes read from one file. Zero means
	// DefaultMaxMessageSize.
	MaxMessageSize int64

	next int
}

// Next implements Source.
func (f *Files) Next(ctx context.Context) (*Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.next >= len(f.Paths) {
		return nil, io.EOF
	}
	p := f.Paths[f.next]
	f.next++
	return readFile(p, p, orDefault(f.MaxMessageSize, DefaultMaxMessageSize)), nil
}

// readFile reads the file at path, at most max bytes, into an Item.
func readFile(path, id string, max int64) *Item {
	fh, err := os.Open(path)
	if err != nil {
		return &Item{ID: id, Err: err}
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && fi.Size() > max {
		return &Item{ID: id, Size: fi.Size(), Err: tooLarge(CodeMessageTooLarge, "message size", max)}
	}
	data, err := io.ReadAll(capped.NewReader(fh, max, errInputCap))
	switch {
	case errors.Is(err, errInputCap):
		return &Item{ID: id, Size: int64(len(data)) + 1, Err: tooLarge(CodeMessageTooLarge, "message size", max)}
	case err != nil:
		return &Item{ID: id, Size: int64(len(data)), Err: err}
	}
	return &Item{ID: id, Data: data, Size: int64(len(data))}
}
