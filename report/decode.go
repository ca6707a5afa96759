package report

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/go-tlsrpt/tlsrpt/internal/capped"
)

// defaultMaxSize is the decompressed size cap used when Decoder.MaxSize is
// zero: 20 MiB, twice the 10 MB receiver limit RFC 8460 §5.2 mentions and
// the cap mox uses.
const defaultMaxSize = 20 << 20

// Decoder decodes TLS reports (RFC 8460 §4.4). The zero value is a lenient
// decoder with the default size cap. A Decoder holds no state between
// calls and may be used from several goroutines at once.
type Decoder struct {
	// Strict makes every deviation the lenient decoder would repair (see
	// the Code* constants) a *tlsrpt.Diagnostic error, and so are unknown members.
	// The zero value decodes leniently and returns a Warning per repair.
	Strict bool

	// MaxSize caps the decompressed JSON text in bytes (and, with a little
	// slack, the compressed input). Zero or negative means 20 MiB.
	// Exceeding it fails with an error wrapping ErrTooLarge as soon as the
	// byte after the cap is read.
	MaxSize int64
}

func (d *Decoder) maxSize() int64 {
	if d == nil || d.MaxSize <= 0 {
		return defaultMaxSize
	}
	return d.MaxSize
}

// gzipMagic starts every gzip member (RFC 1952 §2.3.1).
var gzipMagic = []byte{0x1f, 0x8b}

// utf8BOM is the UTF-8 byte order mark.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// Decode reads one report from r: a JSON text, or gzip (one or more
// members) holding one, recognised by the gzip magic number whatever the
// caller or a media type says (RFC 8460 §5.3 allows both). Nothing but
// white space may follow the report, and a gzip stream must be complete.
//
// It returns the report and, in lenient mode, one Warning per repair made,
// in input order. Errors are a *SyntaxError (not JSON, truncated), a
// *tlsrpt.Diagnostic (not a report; in strict mode also any deviation), an error
// wrapping ErrTooLarge, or an error from r or from gzip (truncated gzip
// input wraps io.ErrUnexpectedEOF). A *bytes.Buffer is decoded in place,
// without copying; the limits are the same whatever the reader.
func (d *Decoder) Decode(r io.Reader) (*Report, []Warning, error) {
	max := d.maxSize()
	if bb, ok := r.(*bytes.Buffer); ok && !bytes.HasPrefix(bb.Bytes(), gzipMagic) {
		if int64(bb.Len()) > max {
			return nil, nil, tooLarge(max)
		}
		var bom int64
		if bytes.HasPrefix(bb.Bytes(), utf8BOM) {
			bb.Next(len(utf8BOM))
			bom = int64(len(utf8BOM))
		}
		return d.decode(bb, bom, false)
	}
	head, src, err := peek(r, 2)
	if err != nil {
		return nil, nil, fmt.Errorf("report: reading input: %w", err)
	}
	gz := bytes.Equal(head, gzipMagic)
	if gz {
		// RFC 8460 §5.3: application/tlsrpt+gzip. Cap the compressed input
		// too: an endless stream of empty gzip members inflates to nothing.
		zr, err := gzip.NewReader(capped.NewReader(src, max+max/64+1<<16, ErrTooLarge))
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, nil, tooLarge(max)
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, nil, fmt.Errorf("report: reading gzip header: %w", err)
		}
		src = zr
	}
	head, src, err = peek(src, len(utf8BOM))
	if err != nil {
		return nil, nil, readError(err, max, gz, 0)
	}
	var bom int64
	if bytes.Equal(head, utf8BOM) {
		bom = int64(len(utf8BOM))
		src = dropPrefix(src, len(utf8BOM))
	}
	return d.decode(&tokenCapReader{r: capped.NewReader(src, max-bom, ErrTooLarge)}, bom, gz)
}

// maxTokenSize caps a single JSON token (a string or number) or run of
// white space read from a stream: the tokenizer buffers each whole, and no
// real report member comes near 1 MiB.
const maxTokenSize = 1 << 20

// errTokenTooLarge is returned when a token exceeds maxTokenSize.
var errTokenTooLarge = fmt.Errorf("%w (a JSON token or white-space run exceeds %d bytes)", ErrTooLarge, maxTokenSize)

// tokenCapReader fails when the tokenizer has buffered more than
// maxTokenSize bytes past the end of the last complete token, so that an
// endless string or run of white space costs at most that much memory.
type tokenCapReader struct {
	r    io.Reader
	dec  *jsontext.Decoder // set by decode before the first Read
	read int64
}

func (t *tokenCapReader) Read(p []byte) (int, error) {
	if t.read-t.dec.InputOffset() > maxTokenSize {
		return 0, errTokenTooLarge
	}
	n, err := t.r.Read(p)
	t.read += int64(n)
	return n, err
}

// Parse decodes data with a lenient Decoder (see Decoder.Decode). It does
// not modify or retain data.
func Parse(data []byte) (*Report, []Warning, error) {
	return new(Decoder).Decode(bytes.NewBuffer(data))
}

// UnmarshalJSON decodes a report strictly (Decoder{Strict: true}), so that
// json.Unmarshal never repairs anything silently; use a lenient Decoder to
// accept the deviations real senders make.
func (r *Report) UnmarshalJSON(data []byte) error {
	rep, _, err := (&Decoder{Strict: true}).Decode(bytes.NewBuffer(data))
	if err != nil {
		return err
	}
	*r = *rep
	return nil
}

func tooLarge(max int64) error {
	return fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, max)
}

// readError converts an error from reading the (decompressed) input.
func readError(err error, max int64, gz bool, off int64) error {
	if err == ErrTooLarge {
		return tooLarge(max)
	}
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	if gz {
		return fmt.Errorf("report: reading gzip stream after %d decompressed bytes: %w", off, err)
	}
	return fmt.Errorf("report: reading input after %d bytes: %w", off, err)
}

// peek reads up to n bytes from r and returns them with a reader that
// yields them again followed by the rest of r. A short input is not an
// error.
func peek(r io.Reader, n int) ([]byte, io.Reader, error) {
	head := make([]byte, n)
	k, err := io.ReadFull(r, head)
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		return head[:k], bytes.NewReader(head[:k]), nil
	default:
		return nil, nil, err
	}
	return head, &prefixReader{head: head, r: r}, nil
}

// prefixReader yields head, then r.
type prefixReader struct {
	head []byte
	r    io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// dropPrefix skips the first n bytes of a reader returned by peek.
func dropPrefix(r io.Reader, n int) io.Reader {
	switch p := r.(type) {
	case *prefixReader:
		p.head = p.head[n:]
		return p
	case *bytes.Reader:
		_, _ = p.Seek(int64(n), io.SeekCurrent)
		return p
	}
	return r
}

// allowDuplicateNames is the tokenizer option of every decode.
var allowDuplicateNames = jsontext.AllowDuplicateNames(true)

// decode runs the report grammar over the JSON text in src; base is added
// to offsets (the length of a skipped byte order mark).
func (d *Decoder) decode(src io.Reader, base int64, gz bool) (*Report, []Warning, error) {
	s := &decodeState{
		strict: d != nil && d.Strict,
		base:   base,
		gz:     gz,
		max:    d.maxSize(),
	}
	// Duplicate names are detected (and reported) by nextMember.
	s.decValue.Reset(src, allowDuplicateNames)
	s.dec = &s.decValue
	s.path = s.pathArr[:0]
	s.ipBuf = s.ipArr[:0]
	s.strScratch = s.strArr[:0]
	switch t := src.(type) {
	case *tokenCapReader:
		t.dec = s.dec
	case *bytes.Buffer:
		s.inPlace = int64(t.Len())
	}
	if base != 0 {
		if err := s.deviate(CodeBOM, 0, func() string { return "input starts with a UTF-8 byte order mark (RFC 8259 §8.1); skipped" }); err != nil {
			return nil, nil, err
		}
	}
	rep := new(Report)
	if err := s.decodeReport(rep); err != nil {
		return nil, nil, err
	}
	// RFC 7493 §2: one JSON text. Reading to EOF also makes gzip check its
	// trailer (CRC-32 and length, RFC 1952 §2.3.1).
	if v, err := s.dec.ReadValue(); err != io.EOF {
		if err == nil {
			return nil, nil, &SyntaxError{Offset: s.offset(v), Msg: "data after the report"}
		}
		return nil, nil, s.convert(err)
	}
	// Trailing white space: the tokenizer does not count what it skipped
	// in place before EOF, so take the input's length then.
	if end := max(s.dec.InputOffset(), s.inPlace); end-s.lastOff > maxTokenSize {
		return nil, nil, errTokenTooLarge
	}
	return rep, s.finishWarnings(), nil
}
