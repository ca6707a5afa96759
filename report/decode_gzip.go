package report

import (
	"bytes"
	"io"

	"github.com/go-tlsrpt/tlsrpt/internal/inflate"
)

// A gzip report (RFC 8460 §5.3) held whole in memory is inflated by
// internal/inflate into a buffer and decoded in place, in one pass; that
// is several times faster than streaming it through compress/gzip and the
// tokenizer. internal/inflate accepts a subset of what compress/gzip
// accepts, with the same output, so whenever it cannot inflate the input
// (damaged, too large for the memory bound below) the input is streamed
// through compress/gzip exactly as before: every error, diagnostic and
// limit is the stream path's.

// maxGzipPrefetch is the most compressed input read ahead from a stream so
// that it can be inflated in memory; a longer gzip stream is streamed.
// Real reports are a few KiB compressed; the 50,000-failure report of the
// benchmarks is 515 KiB.
const maxGzipPrefetch = 1 << 20

// maxInflateRatio bounds the memory inflating in memory may take: the
// output may be at most this many times the compressed input (and at most
// MaxSize, and at least maxPrefetch). Real reports compress 5–25 times; a
// gzip bomb stops at the bound and is streamed, where it costs at most the
// token cap.
const maxInflateRatio = 64

// zcapLimit is the cap on compressed input: an endless stream of empty
// gzip members inflates to nothing, so the compressed side is capped too.
func (s *decodeState) zcapLimit() int64 { return s.max + s.max/64 + 1<<16 }

// inflateGzip returns the JSON text of the gzip data z, or false when it
// cannot be inflated in memory and z must be streamed instead.
func (s *decodeState) inflateGzip(z []byte) ([]byte, bool) {
	s.gzTried = true
	if int64(len(z)) > s.zcapLimit() {
		return nil, false
	}
	limit := min(s.max, max(maxPrefetch, maxInflateRatio*int64(len(z))))
	if s.inflater == nil {
		s.inflater = new(inflate.Decompressor)
	}
	out, err := s.inflater.AppendGzip(s.inflated[:0], z, int(limit))
	s.inflated = out[:0]
	if err != nil {
		return nil, false
	}
	return out, true
}

// decodeInflated decodes the JSON text inflated from a gzip report, in
// place, as decodeStream does a short stream.
func (s *decodeState) decodeInflated(text []byte) (*Report, []Warning, error) {
	var bom int64
	if bytes.HasPrefix(text, utf8BOM) {
		text = text[len(utf8BOM):]
		bom = int64(len(utf8BOM))
	}
	s.inBuffer = *bytes.NewBuffer(text)
	return s.decodeInPlace(&s.inBuffer, bom, true)
}

// readGzipAhead reads the gzip stream src (its magic number included)
// into s.zin, up to maxGzipPrefetch bytes and the compressed size cap. It
// returns the whole input and true when src ended within that; otherwise
// a reader that yields what was read and then the rest of src (or its
// error), so that the stream path sees the same bytes and errors.
func (s *decodeState) readGzipAhead(src io.Reader) ([]byte, io.Reader, bool) {
	buf, whole, err := readAhead(src, s.zin[:0], int(min(maxGzipPrefetch, s.zcapLimit()+1)))
	s.zin = buf
	if whole {
		return buf, nil, true
	}
	if err != nil {
		src = errReader{err}
	}
	s.zinPre = prefixReader{head: buf, r: src}
	return nil, &s.zinPre, false
}
