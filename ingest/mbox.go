package ingest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strconv"
)

// Mbox is a Source splitting an mbox file into messages (RFC 4155; the
// mboxrd variant). A message starts at a "From " line that begins the
// file or follows an empty line; the separator line itself is not part of
// the message, nor is the empty line before the next separator or at the
// end of the file (RFC 4155 ends every message with one). In the
// message, lines that match ">*From " lose one ">" (mboxrd unquoting,
// which reads mboxo files correctly too, except for body lines that began
// with ">From " before the mboxo writer quoted them). Line ends are kept as
// they are (LF or CRLF). Bytes before the first separator, when the file
// does not start with one, are a message of their own, so that nothing is
// dropped. Item.ID is "#n", n counting from 1.
//
// A message over MaxMessageSize is skipped up to the next separator while
// reading (memory stays bounded) and returned as an Item with an Err
// matching tlsrpt.ErrTooLarge and Size the bytes it had. Mbox does not
// implement Marker: an mbox file is not changed in place.
type Mbox struct {
	// R is the mbox file.
	R io.Reader
	// MaxMessageSize caps one message, unquoted. Zero means
	// DefaultMaxMessageSize.
	MaxMessageSize int64

	br      *bufio.Reader
	n       int
	started bool // the start of the file was looked at
	done    bool
}

// Next implements Source.
func (m *Mbox) Next(ctx context.Context) (*Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.br == nil {
		m.br = bufio.NewReaderSize(m.R, 64<<10)
	}
	if m.done {
		return nil, io.EOF
	}
	max := orDefault(m.MaxMessageSize, DefaultMaxMessageSize)
	if !m.started {
		m.started = true
		head, err := m.br.Peek(5)
		if err != nil && err != io.EOF {
			return nil, err
		}
		if len(head) == 0 {
			m.done = true
			return nil, io.EOF
		}
		if string(head) == "From " {
			if err := m.skipLine(); err != nil && err != io.EOF {
				return nil, err
			}
		}
	}
	m.n++
	it := &Item{ID: "#" + strconv.Itoa(m.n)}
	var (
		data      []byte
		size      int64
		over      bool
		lineStart = true
		prevEmpty = false // the previous complete line was empty
		held      []byte  // the last empty line, held back until a non-separator follows
	)
	add := func(b []byte) {
		size += int64(len(b))
		if over {
			return
		}
		if int64(len(data)+len(b)) > max {
			over = true
			data = nil
			return
		}
		data = append(data, b...)
	}
	for {
		line, err := m.br.ReadSlice('\n')
		if len(line) > 0 {
			complete := line[len(line)-1] == '\n'
			if lineStart && prevEmpty && bytes.HasPrefix(line, []byte("From ")) {
				// Separator of the next message: the held empty line
				// belongs to the separator.
				if !complete {
					if err := m.skipLine(); err != nil && err != io.EOF {
						return nil, err
					}
				}
				break
			}
			if held != nil {
				add(held)
				held = nil
			}
			body := line
			if lineStart && isQuotedFrom(line) {
				body = line[1:] // mboxrd: remove one level of quoting
			}
			empty := lineStart && complete && (len(line) == 1 || len(line) == 2 && line[0] == '\r')
			if empty {
				held = append([]byte(nil), line...)
			} else {
				add(body)
			}
			if complete {
				prevEmpty = empty
			} else {
				prevEmpty = false
			}
			lineStart = complete
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			// A held empty line at the end is the one that ends every
			// message of an mbox file (RFC 4155).
			m.done = true
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if over {
		it.Size = size
		it.Err = tooLarge(CodeMessageTooLarge, "message size", max)
		return it, nil
	}
	if data == nil {
		data = []byte{}
	}
	it.Data, it.Size = data, int64(len(data))
	return it, nil
}

// isQuotedFrom reports whether line is ">*From " with at least one ">".
func isQuotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}

// skipLine discards the rest of the current line.
func (m *Mbox) skipLine() error {
	for {
		_, err := m.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			continue
		}
		return err
	}
}
