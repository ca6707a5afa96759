package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Maildir is a Source reading a Maildir directory: the messages of new/,
// then those of cur/, each directory in name order (tmp/ holds messages
// being delivered and is never read). The directory is listed at the
// first Next; messages delivered later are read by the next run. Item.ID
// is the path relative to Dir, like "new/1700000000.M1P2.host".
//
// Maildir implements Marker as the Maildir specification describes
// (https://cr.yp.to/proto/maildir.html): a message in new/ is renamed to
// cur/ with the info ":2,S" (seen); a message already in cur/ gets the S
// flag added to its info, flags kept in ASCII order. A message that
// vanished between listing and reading (another reader moved it) is an
// Item with an Err matching fs.ErrNotExist.
type Maildir struct {
	// Dir is the Maildir directory (holding cur/, new/ and tmp/).
	Dir string
	// MaxMessageSize caps the bytes read from one message. Zero means
	// DefaultMaxMessageSize.
	MaxMessageSize int64

	listed bool
	names  []string
}

// IsMaildir reports whether dir holds the cur, new and tmp directories
// of a Maildir.
func IsMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new", "tmp"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// Next implements Source.
func (m *Maildir) Next(ctx context.Context) (*Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !m.listed {
		if err := m.list(); err != nil {
			return nil, err
		}
		m.listed = true
	}
	if len(m.names) == 0 {
		return nil, io.EOF
	}
	id := m.names[0]
	m.names = m.names[1:]
	return readFile(filepath.Join(m.Dir, filepath.FromSlash(id)), id, orDefault(m.MaxMessageSize, DefaultMaxMessageSize)), nil
}

// list collects the regular files of new/ and cur/. A file whose name
// starts with "." is skipped, as the specification asks of readers.
func (m *Maildir) list() error {
	if !IsMaildir(m.Dir) {
		return fmt.Errorf("ingest: %s is not a Maildir (no cur, new and tmp directories)", m.Dir)
	}
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(m.Dir, sub))
		if err != nil {
			return fmt.Errorf("ingest: listing Maildir: %w", err)
		}
		var names []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
				continue
			}
			names = append(names, sub+"/"+e.Name())
		}
		slices.Sort(names)
		m.names = append(m.names, names...)
	}
	return nil
}

// MarkProcessed implements Marker: it moves new/name to cur/name:2,S, or
// adds the S flag to cur/name's info.
func (m *Maildir) MarkProcessed(ctx context.Context, id string) error {
	sub, name, ok := strings.Cut(id, "/")
	if !ok || strings.Contains(name, "/") || (sub != "new" && sub != "cur") || name == "" || strings.HasPrefix(name, ".") {
		return fmt.Errorf("ingest: %q is not a Maildir message id", id)
	}
	newName := seen(name)
	if sub == "cur" && newName == name {
		return nil
	}
	from := filepath.Join(m.Dir, sub, name)
	to := filepath.Join(m.Dir, "cur", newName)
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("ingest: marking %s: %w", id, os.ErrExist)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.Rename(from, to)
}

// seen returns the Maildir file name with the S flag in its info
// ("unique:2,flags", flags in ASCII order).
func seen(name string) string {
	unique, info, ok := strings.Cut(name, ":")
	if !ok || !strings.HasPrefix(info, "2,") {
		// No info, or experimental semantics ("1,"): start a new one.
		return unique + ":2,S"
	}
	flags := []byte(info[2:])
	if slices.Contains(flags, 'S') {
		return name
	}
	flags = append(flags, 'S')
	slices.Sort(flags)
	return unique + ":2," + string(flags)
}
