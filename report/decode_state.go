package report

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/capped"
	"github.com/go-tlsrpt/tlsrpt/internal/inflate"
)

// decodeState is the state of one Decode call. States are pooled (see
// getDecodeState): everything a call sets is reset by release, and only
// buffers without references into the caller's input or the returned
// report are kept.
type decodeState struct {
	dec      *jsontext.Decoder // &decValue
	decValue jsontext.Decoder  // in this allocation, not a separate one
	strict   bool
	gz       bool
	base     int64 // added to tokenizer offsets: the skipped BOM
	max      int64
	lastOff  int64 // tokenizer offset after the previous read; see checkSpan
	maxSpan  int64 // largest span checkSpan saw: how far the tokenizer's buffer grew
	inPlace  int64 // length of an input decoded in place, else 0

	path  []pathElem // see pushElem
	pathN int
	// pathDirty: a path element holds a name from the input (setName);
	// scratchDirty: strArr may hold strings (stringArray did not finish).
	pathDirty, scratchDirty bool
	warns                   []Warning
	dropped                 int // warnings beyond maxWarnings

	intern     map[string]string
	internTab  *[internSlots]string  // made with intern: see internString
	internSkip int                   // strings returned before the intern map was made
	ipCache    map[string]netip.Addr // canonical IPv6 text seen in this report

	chunks [][]FailureDetail // decodeFailureDetails' scratch
	// detailArr is decodeFailureDetails' first chunk; detailsDirty: it may
	// hold strings (decodeFailureDetails did not finish).
	detailArr    [4]FailureDetail
	detailsDirty bool
	model        int64 // bytes of slice elements appended so far

	pathArr    [8]pathElem // backing array of path: reports nest 5 deep
	strScratch []string    // stringArray's scratch
	strArr     [16]string  // its initial backing array

	nameBuf []byte // unquoted member names
	valBuf  []byte // unquoted string values
	ipBuf   []byte // canonical IP text
	ipArr   [48]byte

	inLocal bool       // reading from loc instead of dec
	loc     localValue // see asLocal

	fast    bool // reading from fs instead of dec (see decodeFast)
	fs      fastScanner
	opened  bool // asLocal read the '{' of the object its fn decodes: see openObject
	decUsed bool // dec was reset to this call's input

	// arena holds the report's strings: one allocation for many short
	// strings (see newString); arena[:arenaN] is handed out.
	arena  []byte
	arenaN int

	// strChunk holds the report's string arrays (policy-string, mx-host):
	// one allocation for several arrays (see stringArray); each array
	// handed out is a full slice of it (len == cap), so that appending to
	// one never writes into another.
	strChunk []string
	// spare is the backing array of the first policies, allocated with the
	// report (see newReport).
	spare []PolicyResult

	// The input plumbing of a call, here so that it costs no allocation.
	inBuffer    bytes.Buffer // the input decoded in place (Parse's data, or prefetch)
	bytesReader bytes.Reader // Parse's gzip data
	magic       [2]byte
	bom         [3]byte
	magicPre    prefixReader
	bomPre      prefixReader
	bufPre      prefixReader
	magicShort  bytes.Reader
	bomShort    bytes.Reader
	zcap        capped.Reader // the compressed input
	lim         capped.Reader // the JSON text
	tokenCap    tokenCapReader
	zr          *gzip.Reader  // made once, Reset per gzip input
	zbuf        *bufio.Reader // zr's input buffer (gzip.Reader.Reset would make one per call)
	prefetch    []byte        // see maxPrefetch

	// The in-memory gzip path (see decodeGzip).
	inflater *inflate.Decompressor // made once, reused
	zin      []byte                // compressed input read ahead (see maxGzipPrefetch)
	zinR     bytes.Reader          // zin, for the stream path when inflating in memory is not possible
	zinPre   prefixReader          // zin and the rest of a longer stream
	inflated []byte                // the JSON text inflated from zin or the caller's bytes
	gzTried  bool                  // inflateGzip was called
}

// statePool caches decodeStates, with their tokenizer and gzip reader,
// between Decode calls: a sync.Pool is a cache, not state a caller can
// observe (each call takes a state no other call holds, and release
// leaves nothing of the call in it), so the package keeps no mutable
// state in the sense of the API guidelines.
var statePool = sync.Pool{New: func() any {
	s := new(decodeState)
	s.dec = &s.decValue
	return s
}}

// Limits on what a pooled state keeps: a state that grew beyond them is
// dropped rather than pinning the memory.
const (
	maxPooledSpan     = 64 << 10    // the tokenizer's buffer holds the largest span read
	maxPooledPrefetch = maxPrefetch // a stream longer than that fills it: keep it for the next
	maxPooledScratch  = 4 << 10
)

// getDecodeState returns a state for one call of d.
func getDecodeState(d *Decoder) *decodeState {
	s := statePool.Get().(*decodeState)
	s.strict = d != nil && d.Strict
	s.max = d.maxSize()
	if s.path == nil {
		s.path = s.pathArr[:]
	}
	s.pathN = 0
	if s.strScratch == nil {
		s.strScratch = s.strArr[:0]
	}
	if s.ipBuf == nil {
		s.ipBuf = s.ipArr[:0]
	}
	return s
}

// release resets s and returns it to the pool. The returned report and
// warnings do not alias it: strings are copied out of the input (the
// string arena is handed over with the report), and s.warns is handed
// over.
func (s *decodeState) release() {
	// Drop every reference into the caller's input and the report. The
	// tokenizer, if this call used it, is reset to an empty stream: its
	// buffer is its own unless it aliased a *bytes.Buffer, which Reset
	// then forgets.
	if s.decUsed {
		s.dec.Reset(eofReader{}, allowDuplicateNames)
		s.decUsed = false
	}
	if s.zr != nil && s.zcap.R != nil {
		s.zbuf.Reset(eofReader{})
		_ = s.zr.Reset(s.zbuf) // io.EOF: no header; the reader is reusable
	}
	if s.maxSpan > maxPooledSpan || cap(s.prefetch) > maxPooledPrefetch ||
		cap(s.nameBuf) > maxPooledScratch || cap(s.valBuf) > maxPooledScratch || cap(s.ipBuf) > maxPooledScratch {
		return // grown large: not worth pinning
	}
	// Reset what this call set. Fields that hold pointers are written
	// only when set: while the collector marks, each such write costs a
	// write barrier, and a small report's decode is short.
	s.strict, s.gz = false, false
	s.base, s.max, s.lastOff, s.maxSpan, s.inPlace, s.model = 0, 0, 0, 0, 0, 0
	s.pathN, s.dropped = 0, 0
	if s.warns != nil {
		s.warns = nil // handed over with the report
	}
	if s.intern != nil || s.ipCache != nil {
		s.intern, s.internTab, s.ipCache = nil, nil, nil
	}
	s.internSkip = 0
	if s.pathDirty {
		clear(s.pathArr[:]) // names sent by the caller
		s.path, s.pathDirty = nil, false
	}
	if s.scratchDirty {
		clear(s.strArr[:]) // a string array left by an error
		s.scratchDirty = false
	}
	if s.detailsDirty {
		clear(s.detailArr[:]) // failure details left by an error
		s.detailsDirty = false
	}
	s.nameBuf, s.valBuf, s.ipBuf = s.nameBuf[:0], s.valBuf[:0], s.ipBuf[:0]
	if s.loc.buf != nil {
		s.inLocal, s.loc = false, localValue{}
	}
	s.fast = false
	if s.arena != nil {
		s.arena = nil // handed over with the report
	}
	if s.strChunk != nil || s.spare != nil {
		s.strChunk, s.spare = nil, nil // parts of the report
	}
	s.arenaN = 0
	if s.inBuffer.Cap() != 0 {
		s.inBuffer = bytes.Buffer{}
	}
	if s.magicPre.r != nil || s.magicShort.Size() != 0 {
		s.bytesReader.Reset(nil)
		s.magicPre, s.bomPre, s.bufPre = prefixReader{}, prefixReader{}, prefixReader{}
		s.magicShort.Reset(nil)
		s.bomShort.Reset(nil)
		s.zcap, s.lim = capped.Reader{}, capped.Reader{}
		s.tokenCap = tokenCapReader{}
	}
	s.prefetch = s.prefetch[:0]
	// The gzip buffers: kept when small, like prefetch.
	if cap(s.zin) > maxPooledPrefetch {
		s.zin = nil
	}
	if cap(s.inflated) > maxPooledPrefetch {
		s.inflated = nil
	}
	s.zin, s.inflated, s.gzTried = s.zin[:0], s.inflated[:0], false
	if s.zinR.Size() != 0 || s.zinPre.r != nil {
		s.zinR.Reset(nil)
		s.zinPre = prefixReader{}
	}
	statePool.Put(s)
}

// eofReader is an empty input.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// pathElem is one step of a Warning path: a member name, or an array
// index when name is "".
type pathElem struct {
	name  string
	index int
	m     uint8 // when not 0, the name is memberNames[m-1]: set without a pointer write
}

// The path is s.path[:s.pathN]. Its elements are written field by field
// and its slice only when it grows: while the garbage collector marks,
// every pointer written to the (heap) state costs a write barrier, and the
// path changes at every member.
func (s *decodeState) pushName(name string) {
	e := s.pushElem()
	e.index, e.m = 0, 0
	if e.name != name {
		e.name = name
	}
}

func (s *decodeState) pushIndex() {
	e := s.pushElem()
	e.index, e.m = -1, 0
	if e.name != "" {
		e.name = ""
	}
}

func (s *decodeState) pushElem() *pathElem {
	if s.pathN == len(s.path) {
		s.path = append(s.path, pathElem{})
	}
	s.pathN++
	return &s.path[s.pathN-1]
}

// curPath returns the path's elements.
func (s *decodeState) curPath() []pathElem { return s.path[:s.pathN] }

// setMember sets the path's last element to the RFC name of m.
func (s *decodeState) setMember(m member) { s.path[s.pathN-1].m = uint8(m) + 1 }
func (s *decodeState) pop()               { s.pathN-- }
func (s *decodeState) setName(name string) {
	e := &s.path[s.pathN-1]
	e.name, e.m = name, 0
	s.pathDirty = true
}
func (s *decodeState) nextIndex() { s.path[s.pathN-1].index++ }

// pathString renders the path: names joined by ".", indexes in brackets,
// and names that are not plain identifiers as ["quoted"].
func pathString(path []pathElem) string {
	var arr [64]byte
	return string(appendPath(arr[:0], path))
}

// pathHere renders the current path into the string arena: a warning's
// path costs no allocation of its own.
func (s *decodeState) pathHere() string {
	var arr [64]byte
	return s.newString(appendPath(arr[:0], s.curPath()))
}

// pathIndex is pathHere with an array index appended.
func (s *decodeState) pathIndex(i int) string {
	var arr [64]byte
	b := append(appendPath(arr[:0], s.curPath()), '[')
	b = strconv.AppendInt(b, int64(i), 10)
	return s.newString(append(b, ']'))
}

// appendPath appends the rendering of path to b (see pathString).
func appendPath(b []byte, path []pathElem) []byte {
	for _, e := range path {
		if e.m != 0 {
			e.name = memberNames[e.m-1]
		}
		switch {
		case e.name == "":
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(e.index), 10)
			b = append(b, ']')
		case plainName(e.name):
			if len(b) > 0 {
				b = append(b, '.')
			}
			b = append(b, e.name...)
		default:
			b = append(b, '[')
			b = strconv.AppendQuote(b, e.name)
			b = append(b, ']')
		}
	}
	return b
}

func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// pathWith renders the current path with one more member name.
func (s *decodeState) pathWith(name string) string {
	s.pushName(name)
	p := s.pathHere()
	s.pop()
	return p
}

// deviate records a repair: a Warning in lenient mode, a *tlsrpt.Diagnostic in
// strict mode. off is the offset of the offending token; msg returns
// "finding; repair" (strict mode drops the repair part) and is not called
// once maxWarnings is reached, so hostile input costs no messages.
func (s *decodeState) deviate(code tlsrpt.Code, off int64, msg func() string) error {
	if s.full() {
		s.dropped++
		return nil
	}
	return s.deviateAt(s.pathHere(), code, off, msg)
}

// full reports whether further repairs are only counted.
func (s *decodeState) full() bool { return !s.strict && len(s.warns) >= maxWarnings }

func (s *decodeState) deviateAt(path string, code tlsrpt.Code, off int64, msg func() string) error {
	if s.strict {
		// Keep the finding, not the repair that strict mode does not make.
		m := msg()
		if i := strings.LastIndex(m, "; "); i >= 0 {
			m = m[:i]
		}
		return &tlsrpt.Diagnostic{Path: path, Offset: int(off), Code: code, Severity: tlsrpt.SeverityError, Message: m}
	}
	if s.full() {
		s.dropped++
		return nil
	}
	if s.warns == nil {
		// Real reports that need repairs mostly need a few: room for
		// four saves growing the slice three times.
		s.warns = make([]Warning, 0, 4)
	}
	s.warns = append(s.warns, Warning{Path: path, Offset: int(off), Code: code, Severity: tlsrpt.SeverityWarning, Message: msg()})
	return nil
}

// fail returns a *tlsrpt.Diagnostic at the current path (always an error).
func (s *decodeState) fail(code tlsrpt.Code, off int64, msg string) error {
	return &tlsrpt.Diagnostic{Path: pathString(s.curPath()), Offset: int(off), Code: code, Severity: tlsrpt.SeverityError, Message: msg}
}

func (s *decodeState) finishWarnings() []Warning {
	if s.dropped > 0 {
		s.warns = append(s.warns, Warning{Code: CodeWarningsTruncated, Severity: tlsrpt.SeverityWarning, Message: itoa(s.dropped) + " more repairs not listed"})
	}
	return s.warns
}

// convert turns a tokenizer error into this package's errors.
func (s *decodeState) convert(err error) error {
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		msg := "invalid JSON"
		if se.Err != nil {
			msg = strings.TrimPrefix(se.Err.Error(), "jsontext: ")
		}
		cause := se.Err
		if cause == io.ErrUnexpectedEOF {
			msg = "unexpected end of input"
		}
		return &SyntaxError{Offset: se.ByteOffset + s.base, Path: pointerPath(se.JSONPointer), Msg: msg, err: cause}
	}
	if err == io.EOF {
		return &SyntaxError{Offset: s.dec.InputOffset() + s.base, Msg: "unexpected end of input", err: io.ErrUnexpectedEOF}
	}
	// An I/O error: unwrap the tokenizer's wrapper.
	if u := errors.Unwrap(err); u != nil {
		err = u
	}
	return readError(err, s.max, s.gz, s.dec.InputOffset()+s.base)
}

// maxPointerElems is the most path elements pointerPath renders: a syntax
// error deep inside a hostile nesting (up to the tokenizer's depth limit of
// 10000) would otherwise carry a path of tens of kilobytes.
const maxPointerElems = 32

// pointerPath renders a JSON Pointer (RFC 6901) in Warning path form;
// tokens made of digits are taken as array indexes. A path deeper than
// maxPointerElems is cut and ends in "…".
func pointerPath(p jsontext.Pointer) string {
	var path []pathElem
	for tok := range p.Tokens() {
		if len(path) == maxPointerElems {
			return pathString(path) + "…"
		}
		if n, err := strconv.Atoi(tok); err == nil && isDigits(tok) {
			path = append(path, pathElem{index: n})
		} else {
			path = append(path, pathElem{name: tok})
		}
	}
	return pathString(path)
}

// inputOffset returns the offset in the input just after the last token
// read.
func (s *decodeState) inputOffset() int64 {
	if s.fast {
		// As on the tokenizer path: inside an object read whole, the
		// position after the last peek; elsewhere the last token's end.
		if s.fs.inSpan {
			return s.base + int64(s.fs.pos)
		}
		return s.base + int64(s.fs.end)
	}
	if s.inLocal {
		return s.loc.base + int64(s.loc.pos)
	}
	return s.dec.InputOffset() + s.base
}

// peekKind returns the kind of the next token (0 if it is invalid; the
// next read then returns the error).
func (s *decodeState) peekKind() jsontext.Kind {
	if s.fast {
		return s.fs.peek()
	}
	if s.inLocal {
		return s.loc.peek()
	}
	return s.dec.PeekKind()
}

// readValue reads the next complete value.
func (s *decodeState) readValue() (jsontext.Value, error) {
	if s.fast {
		if v, ok := s.fs.value(); ok {
			return v, nil
		}
		return nil, errFast
	}
	if s.inLocal {
		return s.loc.value(), nil
	}
	v, err := s.dec.ReadValue()
	if err != nil {
		return nil, s.convert(err)
	}
	return v, s.checkSpan()
}

// readScalar is readValue for a member whose value is usually a string:
// on the fast pass, a string is read in one scanner call (fastScanner.str).
func (s *decodeState) readScalar() (jsontext.Value, error) {
	if s.fast {
		if v, ok := s.fs.str(); ok {
			return v, nil
		}
	}
	return s.readValue()
}

// checkSpan enforces maxTokenSize on what the last read consumed: the
// value (a token, or a small object read whole) and the white space before
// it. tokenCapReader bounds the memory of a streamed input by the same
// number as it is read; checking here as well makes the limit the same for
// input decoded in place (a *bytes.Buffer) or read in large chunks.
func (s *decodeState) checkSpan() error {
	off := s.dec.InputOffset()
	span := off - s.lastOff
	s.lastOff = off
	s.maxSpan = max(s.maxSpan, span)
	if span > maxTokenSize {
		return errTokenTooLarge
	}
	return nil
}

// readDelim reads the next token, a '{', '[', '}' or ']' known from peekKind.
func (s *decodeState) readDelim() error {
	if s.fast {
		if !s.fs.delim() {
			return errFast
		}
		return nil
	}
	if s.inLocal {
		s.loc.skipSpace()
		s.loc.pos++
		return nil
	}
	if _, err := s.dec.ReadToken(); err != nil {
		return s.convert(err)
	}
	return s.checkSpan()
}

// skipValue skips the next value.
func (s *decodeState) skipValue() error {
	if s.fast {
		if !s.fs.skip() {
			return errFast
		}
		return nil
	}
	if s.inLocal {
		s.loc.value()
		return nil
	}
	if err := s.dec.SkipValue(); err != nil {
		return s.convert(err)
	}
	return s.checkSpan()
}

// offset returns the input offset of the start of v, just read.
func (s *decodeState) offset(v jsontext.Value) int64 {
	return s.inputOffset() - int64(len(v))
}

// endOffset returns the offset of the token just read, when it is one byte
// long (a closing delimiter).
func (s *decodeState) endOffset() int64 { return s.inputOffset() - 1 }

// asLocal runs fn, which decodes one small object (date-range, policy,
// summary, a failure-details element), over the object read whole: the
// tokenizer validates it in one fast pass (syntax, UTF-8), and fn then walks
// the validated bytes with localValue instead of a tokenizer call per name
// and value, which roughly halves the cost of a failure detail.
func (s *decodeState) asLocal(fn func() error) error {
	if s.fast {
		// One pass validates and decodes; the object is one span for the
		// token cap, as on the tokenizer path. A member's object value
		// has its '{' read here at once (fs.openObject), for fn's
		// openObject; an array element, peeked by the caller, never does.
		if s.fs.inSpan {
			return fn()
		}
		s.fs.inSpan = true
		s.opened = s.fs.openObject()
		if !s.opened {
			s.fs.inSpan = false
			if s.peekKind() != '{' {
				return fn()
			}
			s.fs.inSpan = true
		}
		err := fn()
		s.fs.inSpan, s.opened = false, false
		if err != nil {
			return err
		}
		if !s.fs.closeSpan() {
			return errFast
		}
		return nil
	}
	if s.inLocal || s.peekKind() != '{' {
		return fn()
	}
	v, err := s.readValue()
	if err != nil {
		return err
	}
	s.loc = localValue{buf: v, base: s.offset(v)}
	s.inLocal = true
	err = fn()
	s.inLocal = false
	s.loc = localValue{}
	return err
}

// localValue walks a JSON value the tokenizer has already validated, so it
// needs no error handling: white space, ',' and ':' between tokens are
// skipped, and each value is delimited by a simple scan.
type localValue struct {
	buf  []byte
	pos  int
	base int64 // input offset of buf[0]
}

func (l *localValue) skipSpace() {
	for l.pos < len(l.buf) {
		switch l.buf[l.pos] {
		case ' ', '\t', '\r', '\n', ',', ':':
			l.pos++
		default:
			return
		}
	}
}

func (l *localValue) peek() jsontext.Kind {
	l.skipSpace()
	if l.pos >= len(l.buf) {
		return 0
	}
	switch c := l.buf[l.pos]; c {
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return '0'
	default:
		return jsontext.Kind(c)
	}
}

// value returns the next value and moves past it.
func (l *localValue) value() jsontext.Value {
	l.skipSpace()
	start := l.pos
	b := l.buf
	switch b[l.pos] {
	case '"':
		l.pos = skipString(b, l.pos)
	case '{', '[':
		depth := 0
		for l.pos < len(b) {
			switch b[l.pos] {
			case '"':
				l.pos = skipString(b, l.pos)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			l.pos++
			if depth == 0 {
				break
			}
		}
	case 'n', 't':
		l.pos += 4
	case 'f':
		l.pos += 5
	default: // number
		for l.pos < len(b) {
			switch b[l.pos] {
			case '-', '+', '.', 'e', 'E', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
				l.pos++
				continue
			}
			break
		}
	}
	return jsontext.Value(b[start:l.pos])
}

// skipString returns the index just after the JSON string starting at
// b[i] (a '"').
func skipString(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b) // unreachable for validated input
		}
		// The quote is escaped if preceded by an odd number of '\'.
		k := i + j
		n := 0
		for k-1-n >= i && b[k-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return k + 1
		}
		i = k + 1
	}
}

// unquote is unquote for a string just read: the fast pass knows whether
// it had escapes.
func (s *decodeState) unquote(buf *[]byte, v jsontext.Value) []byte {
	if s.fast && cap(s.fs.buf)-cap(v) == s.fs.plainAt {
		return v[1 : len(v)-1]
	}
	return unquote(buf, v)
}

// unquote returns the contents of the JSON string v in buf (or aliasing v
// when it has no escapes).
func unquote(buf *[]byte, v jsontext.Value) []byte {
	body := v[1 : len(v)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return body
	}
	// v is valid: the tokenizer checked it.
	*buf, _ = jsontext.AppendUnquote((*buf)[:0], v)
	return *buf
}

// internString returns b as a string, sharing one copy between equal
// short strings of this report (host names, reason codes repeat).
func (s *decodeState) internString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > 128 {
		return s.newString(b)
	}
	if s.intern == nil {
		// Small reports gain nothing from interning: start after 32
		// strings, which also spares them the map.
		if s.internSkip < 32 {
			s.internSkip++
			return s.newString(b)
		}
		s.intern = make(map[string]string)
		s.internTab = new([internSlots]string)
	}
	// The few strings that repeat thousands of times in a large report
	// are found in internTab, without the map's hashing.
	slot := &s.internTab[internHash(b)]
	if str := *slot; str == string(b) {
		return str
	}
	str, ok := s.intern[string(b)]
	if !ok {
		str = s.newString(b)
		if len(s.intern) < 4096 {
			s.intern[str] = str
		}
	}
	*slot = str
	return str
}

// internSlots is the size of internTab, a power of two: a cache, each
// slot holding the last string of its internHash.
const (
	internSlotBits = 7
	internSlots    = 1 << internSlotBits
)

// internHash returns the slot of internTab for b (not empty): from its
// length, first and last eight bytes (all of a shorter b), which set
// apart the host names, reason codes and result types of a report. Equal
// hashes only cost a miss, so input crafted to collide gains nothing.
func internHash(b []byte) uint {
	var x uint64
	if n := len(b); n >= 8 {
		x = binary.LittleEndian.Uint64(b) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(b[n-8:]), 31)
	} else {
		for _, c := range b {
			x = x<<8 | uint64(c)
		}
	}
	x = (x ^ uint64(len(b))) * 0x9e3779b97f4a7c15
	return uint(x >> (64 - internSlotBits))
}

// Sizes of the string arena's chunks.
const (
	minArenaChunk = 256
	maxArenaChunk = 4 << 10
	maxArenaStr   = 512 // longer strings get their own allocation
)

// newString returns a copy of b, allocated from the arena: most of a
// report's strings then share a few allocations. A chunk is never written
// again where a string was handed out, and it lives as long as any of its
// strings; a chunk is at most maxArenaChunk bytes, so a caller who keeps
// one string of a report keeps at most that much of it alive.
func (s *decodeState) newString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxArenaStr {
		return string(b)
	}
	n := s.arenaN
	if len(s.arena)-n < len(b) {
		// Chunks are sized by the input: the strings of a real report
		// take a fifth of its bytes on average, a third at most (the
		// shared corpus). A first chunk of a third then holds them all;
		// one of a quarter follows if not.
		size := maxArenaChunk
		if s.fast {
			d := 3
			if s.arena != nil {
				d = 4
			}
			size = min(max(len(s.fs.buf)/d, minArenaChunk), maxArenaChunk)
		}
		s.arena, n = make([]byte, max(size, len(b))), 0
	}
	// Only the offset moves: no write of the slice (a pointer) per string.
	s.arenaN = n + copy(s.arena[n:], b)
	return unsafe.String(&s.arena[n], len(b))
}

// reportAlloc is a report with room for the policies of most reports,
// allocated at once.
type reportAlloc struct {
	rep      Report
	policies [2]PolicyResult
}

// newReport returns a new Report; the backing array of its first two
// policies comes in the same allocation (s.spare, used by
// decodePolicies).
func (s *decodeState) newReport() *Report {
	a := new(reportAlloc)
	s.spare = a.policies[:0:len(a.policies)]
	return &a.rep
}

// minStrChunk is the least number of strings allocated for the string
// arrays of a report at once: room for the policy-string and mx-host of
// an sts policy and a no-policy-found one.
const minStrChunk = 8

// newStrings returns a copy of ss as a full slice (len == cap) of
// s.strChunk, allocating a new chunk when it has no room.
func (s *decodeState) newStrings(ss []string) []string {
	n := len(ss)
	if len(s.strChunk) < n {
		s.strChunk = make([]string, max(n, minStrChunk))
	}
	out := s.strChunk[:n:n]
	s.strChunk = s.strChunk[n:]
	copy(out, ss)
	return out
}

// errAmplification is returned when the decoded elements would take more
// than maxAmplification times the input read so far.
var errAmplification = fmt.Errorf("%w (array elements too small for their decoded size)", ErrTooLarge)

// maxAmplification bounds the memory of the decoded report relative to the
// input: a minimal real failure detail is about 45 bytes of JSON and 136
// bytes decoded, but "[{},{},…]" in lenient mode would be 3 bytes each.
const maxAmplification = 4

// grow accounts for n more bytes of decoded elements.
func (s *decodeState) grow(n int64) error {
	s.model += n
	if s.model > maxAmplification*s.inputOffset()+64<<10 {
		return errAmplification
	}
	return nil
}

// kindName names a JSON value kind for messages.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "invalid"
}

func itoa(n int) string { return strconv.Itoa(n) }

// quoteShort quotes s for a message, cutting it after 64 bytes.
func quoteShort[S ~string | ~[]byte](s S) string {
	return string(appendQuoteShort(nil, string(s)))
}

// appendQuoteShort appends quoteShort(s) to b.
func appendQuoteShort(b []byte, s string) []byte {
	if len(s) > 64 {
		return append(appendQuote(b, s[:64]), "…"...)
	}
	return appendQuote(b, s)
}

// appendQuote is strconv.AppendQuote, with the common case of the
// messages of repairs, printable ASCII that needs no escape (host names,
// IP addresses, date-times), copied as it is (TestAppendQuote).
func appendQuote(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// quotedMsg returns before + quoteShort(q) + after, in the string arena:
// the message of a repair that quotes what was sent.
func (s *decodeState) quotedMsg(before, q, after string) string {
	var arr [128]byte
	b := append(arr[:0], before...)
	b = appendQuoteShort(b, q)
	return s.newString(append(b, after...))
}

// quotedMsg2 returns before + quoteShort(q) + mid + strconv.Quote(q2), in
// the string arena: the message of a repair that quotes what was sent and
// what it was read as.
func (s *decodeState) quotedMsg2(before, q, mid, q2 string) string {
	var arr [160]byte
	b := append(arr[:0], before...)
	b = appendQuoteShort(b, q)
	b = append(b, mid...)
	return s.newString(appendQuote(b, q2))
}

// gzipReader returns s's gzip reader reset to read from r.
func (s *decodeState) gzipReader(r io.Reader) (*gzip.Reader, error) {
	if s.zr == nil {
		s.zr = new(gzip.Reader)
		s.zbuf = bufio.NewReader(r)
	} else {
		s.zbuf.Reset(r)
	}
	return s.zr, s.zr.Reset(s.zbuf)
}
