// Package capped provides a reader that enforces a size cap while reading,
// so that untrusted input (a gzip bomb, an endless HTTP body) costs bounded
// memory and time.
package capped

import "io"

// Reader reads from R and fails with Err once more than N bytes were
// offered: it never returns more than N bytes, and the read that would
// cross the cap returns Err instead of data beyond it.
type Reader struct {
	R   io.Reader // the underlying reader
	N   int64     // bytes still allowed
	Err error     // returned once the cap is exceeded
}

// NewReader returns a Reader allowing at most n bytes from r.
func NewReader(r io.Reader, n int64, err error) *Reader {
	return &Reader{R: r, N: n, Err: err}
}

// Read implements io.Reader.
func (c *Reader) Read(p []byte) (int, error) {
	if c.N < 0 {
		return 0, c.Err
	}
	// Ask for one byte more than allowed so that input of exactly N bytes
	// passes and N+1 is detected.
	if int64(len(p)) > c.N+1 {
		p = p[:c.N+1]
	}
	n, err := c.R.Read(p)
	if int64(n) > c.N {
		n = int(c.N)
		c.N = -1
		return n, c.Err
	}
	c.N -= int64(n)
	return n, err
}
