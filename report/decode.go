package report

import (
	"bytes"
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
// calls and may be used from several goroutines at once. (The package
// reuses its buffers, tokenizer and gzip reader across calls through a
// sync.Pool; nothing of one call is visible to another, and the returned
// report and warnings share no memory with them.)
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
// without copying, and so is a stream that ends within 256 KiB (it is read
// ahead into a buffer); gzip input that is held in memory or ends within
// 1 MiB is inflated into memory first (see Limits in the package
// documentation). The results and limits are the same whatever the
// reader.
func (d *Decoder) Decode(r io.Reader) (*Report, []Warning, error) {
	s := getDecodeState(d)
	defer s.release()
	if bb, ok := r.(*bytes.Buffer); ok {
		if !bytes.HasPrefix(bb.Bytes(), gzipMagic) {
			return s.decodeBuffer(bb)
		}
		if text, ok := s.inflateGzip(bb.Bytes()); ok {
			bb.Next(bb.Len()) // consumed, as by the stream path
			return s.decodeInflated(text)
		}
	}
	return s.decodeStream(r)
}

// decodeBytes is Decode of bytes.NewBuffer(data) without the allocation.
func (d *Decoder) decodeBytes(data []byte) (*Report, []Warning, error) {
	s := getDecodeState(d)
	defer s.release()
	if bytes.HasPrefix(data, gzipMagic) {
		if text, ok := s.inflateGzip(data); ok {
			return s.decodeInflated(text)
		}
		s.bytesReader.Reset(data)
		return s.decodeStream(&s.bytesReader)
	}
	s.inBuffer = *bytes.NewBuffer(data)
	return s.decodeBuffer(&s.inBuffer)
}

// decodeBuffer decodes a JSON text held whole in bb, in place.
func (s *decodeState) decodeBuffer(bb *bytes.Buffer) (*Report, []Warning, error) {
	if int64(bb.Len()) > s.max {
		return nil, nil, tooLarge(s.max)
	}
	var bom int64
	if bytes.HasPrefix(bb.Bytes(), utf8BOM) {
		bb.Next(len(utf8BOM))
		bom = int64(len(utf8BOM))
	}
	return s.decodeInPlace(bb, bom, false)
}

// maxPrefetch is the most input read ahead into a buffer so that it can be
// decoded in place: a JSON text of up to this size (after decompression)
// is decoded as from a *bytes.Buffer, longer ones are streamed. It is far
// below the token cap's few MiB, so reading ahead does not change how much
// memory a hostile stream can claim.
const maxPrefetch = 256 << 10

// decodeStream decodes the JSON text or gzip stream read from r.
func (s *decodeState) decodeStream(r io.Reader) (*Report, []Warning, error) {
	maxSize := s.max
	head, src, err := peek(r, s.magic[:], &s.magicPre, &s.magicShort)
	if err != nil {
		return nil, nil, fmt.Errorf("report: reading input: %w", err)
	}
	gz := bytes.Equal(head, gzipMagic)
	if gz {
		// RFC 8460 §5.3: application/tlsrpt+gzip. A short stream is read
		// whole and inflated in memory when it can be (decode_gzip.go).
		if !s.gzTried { // else the caller's bytes failed to inflate already
			z, rest, whole := s.readGzipAhead(src)
			if whole {
				if text, ok := s.inflateGzip(z); ok {
					return s.decodeInflated(text)
				}
				s.zinR.Reset(z)
				rest = &s.zinR
			}
			src = rest
		}
		// Cap the compressed input too: an endless stream of empty gzip
		// members inflates to nothing.
		s.zcap = capped.Reader{R: src, N: s.zcapLimit(), Err: ErrTooLarge}
		zr, err := s.gzipReader(&s.zcap)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, nil, tooLarge(maxSize)
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, nil, fmt.Errorf("report: reading gzip header: %w", err)
		}
		src = zr
	}
	head, src, err = peek(src, s.bom[:], &s.bomPre, &s.bomShort)
	if err != nil {
		return nil, nil, readError(err, maxSize, gz, 0)
	}
	var bom int64
	if bytes.Equal(head, utf8BOM) {
		bom = int64(len(utf8BOM))
		src = dropPrefix(src, len(utf8BOM))
	}
	s.lim = capped.Reader{R: src, N: maxSize - bom, Err: ErrTooLarge}
	// Read small inputs whole and decode them in place. A read error, or
	// more than maxPrefetch bytes, streams what was read and then the
	// rest (or the error) to the tokenizer, exactly as without reading
	// ahead.
	buf, whole, err := readAhead(&s.lim, s.prefetch[:0], maxPrefetch)
	s.prefetch = buf
	if whole {
		s.inBuffer = *bytes.NewBuffer(buf)
		return s.decodeInPlace(&s.inBuffer, bom, gz)
	}
	var rest io.Reader = &s.lim
	if err != nil {
		rest = errReader{err}
	}
	s.bufPre = prefixReader{head: buf, r: rest}
	s.tokenCap = tokenCapReader{r: &s.bufPre}
	return s.decode(&s.tokenCap, bom, gz)
}

// readAhead reads src into buf (reusing its capacity, growing it from
// 4 KiB by doubling) until src ends or buf holds most bytes. whole reports
// that src ended (io.EOF) within that; err is any other error of src,
// returned after the bytes read before it.
func readAhead(src io.Reader, buf []byte, most int) (_ []byte, whole bool, err error) {
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= most {
				return buf, false, nil
			}
			nb := make([]byte, len(buf), min(max(2*len(buf), 4<<10), most))
			buf = nb[:copy(nb, buf)]
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
}

// errReader returns err from every Read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// maxTokenSize caps a single JSON token (a string or number) or run of
// white space read from a stream: the tokenizer buffers each whole, and no
// real report member comes near 1 MiB.
const maxTokenSize = 1 << 20

// errTokenTooLarge is returned when a token exceeds maxTokenSize.
var errTokenTooLarge = fmt.Errorf("%w (a JSON token or white-space run exceeds %d bytes)", ErrTooLarge, maxTokenSize)

// tokenCapReader fails when the tokenizer has buffered more than
// maxTokenSize bytes past the end of the last complete token, so that an
// endless string or run of white space costs at most that much memory.
//
// It also reads at least minFill bytes (or what fits in p) per call: the
// tokenizer moves a partial token to the front of its buffer before every
// read, so a reader that returns a few bytes per call (a byte at a time, a
// slow pipe) would otherwise cost time quadratic in the token's length.
type tokenCapReader struct {
	r    io.Reader
	dec  *jsontext.Decoder // set by decode before the first Read
	read int64
	err  error // from r, after bytes that were returned first
}

// minFill is the least a tokenCapReader read returns before EOF or an
// error: about what gzip returns per call.
const minFill = 16 << 10

func (t *tokenCapReader) Read(p []byte) (int, error) {
	if t.read-t.dec.InputOffset() > maxTokenSize {
		return 0, errTokenTooLarge
	}
	if t.err != nil {
		return 0, t.err
	}
	n, want := 0, min(len(p), minFill)
	for n < want {
		k, err := t.r.Read(p[n:])
		n += k
		t.read += int64(k)
		if err != nil {
			if n == 0 {
				return 0, err
			}
			t.err = err
			break
		}
	}
	return n, nil
}

// Parse decodes data with a lenient Decoder (see Decoder.Decode). It does
// not modify or retain data.
func Parse(data []byte) (*Report, []Warning, error) {
	return new(Decoder).decodeBytes(data)
}

// UnmarshalJSON decodes a report strictly (Decoder{Strict: true}), so that
// json.Unmarshal never repairs anything silently; use a lenient Decoder to
// accept the deviations real senders make.
func (r *Report) UnmarshalJSON(data []byte) error {
	rep, _, err := (&Decoder{Strict: true}).decodeBytes(data)
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

// peek reads len(head) bytes from r into head and returns them with a
// reader that yields them again followed by the rest of r: pre, or short
// when r ended early (a short input is not an error).
func peek(r io.Reader, head []byte, pre *prefixReader, short *bytes.Reader) ([]byte, io.Reader, error) {
	k, err := io.ReadFull(r, head)
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		short.Reset(head[:k])
		return head[:k], short, nil
	default:
		return nil, nil, err
	}
	*pre = prefixReader{head: head, r: r}
	return head, pre, nil
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

// decodeInPlace decodes the JSON text held in bb: in one pass
// (decodeFast) when it can, else by the tokenizer path, which then also
// returns the error.
func (s *decodeState) decodeInPlace(bb *bytes.Buffer, base int64, gz bool) (*Report, []Warning, error) {
	if rep, warns, ok := s.decodeFast(bb.Bytes(), base); ok {
		bb.Next(bb.Len()) // consumed, as by the tokenizer
		return rep, warns, nil
	}
	s.resetGrammar()
	return s.decode(bb, base, gz)
}

// decode runs the report grammar over the JSON text in src with the
// tokenizer; base is added to offsets (the length of a skipped byte order
// mark).
func (s *decodeState) decode(src io.Reader, base int64, gz bool) (*Report, []Warning, error) {
	s.base = base
	s.gz = gz
	// Duplicate names are detected (and reported) by nextMember.
	s.dec.Reset(src, allowDuplicateNames)
	s.decUsed = true
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
	rep := s.newReport()
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
