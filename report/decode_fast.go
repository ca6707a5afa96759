package report

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"net/netip"
	"unicode/utf8"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// An input held whole in memory (a *bytes.Buffer, Parse's data, a stream
// read ahead) is first decoded in one pass by fastScanner, which validates
// the JSON text as it goes and hands the same tokens to the same grammar
// as the tokenizer would. It accepts only what the tokenizer accepts
// (RFC 8259 syntax, valid UTF-8 and escapes, no more than maxFastDepth
// levels), and enforces the token cap and the amplification guard at the
// same points with the same offsets, so on success the report and the
// warnings are those the tokenizer path would return. On any error at all
// (invalid JSON, a strict-mode deviation, a limit) the result is dropped
// and the input decoded again by the tokenizer path, which then returns
// its exact error: the fast pass never decides an error.

// errFast makes the fast pass give up; it never reaches a caller.
var errFast = errors.New("report: not decodable in one pass")

// maxFastDepth is the deepest nesting the fast pass follows; deeper input
// (never a real report) is left to the tokenizer and its own limit.
const maxFastDepth = 32

// States of fastScanner: what may come next.
const (
	fsValue      uint8 = iota // a value: at the start, after ':' or after ',' in an array
	fsValueOrEnd              // after '[': a value or ']'
	fsNameOrEnd               // after '{': a name or '}'
	fsName                    // after ',' in an object: a name
	fsColon                   // after a name: ':', then a value
	fsNext                    // after a value in a container: ',' or its end
	fsDone                    // after the top-level value: only white space
)

// fastScanner reads JSON tokens from buf, validating them.
type fastScanner struct {
	buf    []byte
	pos    int // next byte to look at
	end    int // end of the last token read
	state  uint8
	bad    bool // invalid input seen: every further read fails
	inSpan bool // inside an object asLocal reads whole on the tokenizer path
	depth  int
	stack  [maxFastDepth]byte // '{' or '[' per open container

	// plainAt is the offset of the last string read when it had no
	// escapes, else -1: its contents are then its bytes (see unquote).
	plainAt int

	// lastEnd is the end of the last span: see spanEnd.
	lastEnd int

	hasPeek bool          // peekK is the kind at pos, separators skipped
	peekK   jsontext.Kind // until value or delim consumes the token

	// prev is the member of the last name read (numMembers for an
	// unknown one, or one with escapes), next[m] the member whose name
	// followed m's the last time: name tries it first (see name). next is
	// only a guess, always checked against the input, so a pooled state
	// keeps it from one decode to the next: reports of one sender, or of
	// senders that follow the RFC's order, then find their names at once.
	prev member
	next [numMembers + 1]member

	// braces is the number of '{' bytes in buf[braceAt:], braceAt -1
	// before detailsHint first counts them: see detailsHint.
	braceAt, braces int
}

// skipSpace skips JSON white space (RFC 8259 §2).
func (f *fastScanner) skipSpace() { f.pos = skipSpace(f.buf, f.pos) }

// skipSpace returns the index of the first byte at or after b[i] that is
// not JSON white space, or len(b).
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		c := b[i]
		if c > ' ' || !isSpace[c] {
			break
		}
		i++
		if c == '\n' {
			// Indentation (a quarter of a pretty-printed report's
			// bytes): the run of spaces after a line break, eight bytes
			// at a time; the lowest byte that differs from ' ' ends it.
			for i+8 <= len(b) {
				if x := binary.LittleEndian.Uint64(b[i:]) ^ eightSpaces; x != 0 {
					i += bits.TrailingZeros64(x) >> 3
					break
				}
				i += 8
			}
		}
	}
	return i
}

// eightSpaces is eight ' ' bytes read as one little-endian word.
const eightSpaces = 0x2020202020202020

// isSpace marks JSON white space.
var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// peek moves past white space and the separator the state requires and
// returns the kind of the next token, 0 if there is none or it cannot
// start a token.
func (f *fastScanner) peek() jsontext.Kind {
	if !f.hasPeek {
		f.peekK, f.hasPeek = f.peekToken(), true
	}
	return f.peekK
}

// peekToken is peek without the memo: the grammar peeks before it reads,
// and the read peeks again.
func (f *fastScanner) peekToken() jsontext.Kind {
	if f.bad {
		return 0
	}
	f.skipSpace()
	switch f.state {
	case fsColon:
		if f.pos >= len(f.buf) || f.buf[f.pos] != ':' {
			f.bad = true
			return 0
		}
		f.pos++
		f.state = fsValue
		f.skipSpace()
	case fsNext:
		if f.pos < len(f.buf) && f.buf[f.pos] == ',' {
			f.pos++
			if f.stack[f.depth-1] == '{' {
				f.state = fsName
			} else {
				f.state = fsValue
			}
			f.skipSpace()
		}
	}
	if f.pos >= len(f.buf) {
		return 0
	}
	switch c := f.buf[f.pos]; c {
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return '0'
	case '"', '{', '[', '}', ']', 't', 'f', 'n':
		return jsontext.Kind(c)
	}
	return 0
}

// name reads a member name where one may come: after '{', or after a
// member's value and the ',' that must then follow. It is nextMember's
// common case in one call; it returns the name's member too: lookupMember
// of its contents, or mUnread when it has escapes (and is to be unquoted
// first). Where the object's '}' may come instead (after '{', or after a
// member's value), it reads that as delim would and returns nil and
// mNone. For anything else (a memo left by peek, input the generic reads
// then reject) it returns nil and mUnread having read nothing.
func (f *fastScanner) name() (jsontext.Value, member) {
	if f.hasPeek || f.bad {
		return nil, mUnread
	}
	b := f.buf
	i := skipSpace(b, f.pos)
	if i >= len(b) {
		return nil, mUnread
	}
	switch f.state {
	case fsNameOrEnd:
		if b[i] == '}' {
			return nil, f.endObject(i)
		}
	case fsNext:
		if f.stack[f.depth-1] != '{' {
			return nil, mUnread
		}
		if b[i] != ',' {
			if b[i] == '}' {
				return nil, f.endObject(i)
			}
			return nil, mUnread
		}
		i = skipSpace(b, i+1)
	default:
		return nil, mUnread
	}
	if i >= len(b) || b[i] != '"' {
		return nil, mUnread
	}
	// The members of a report's objects come in the same order object
	// after object (each sender has its own): the name that followed the
	// last one's is likely to follow again, and when it is there it is the
	// whole string (member names are plain bytes), no scan or lookup.
	var m member
	if g := min(f.next[f.prev], numMembers-1); guessed(b, i+1, g) {
		m = g
		f.pos, f.plainAt = i+len(memberNames[g])+2, i
		f.prev = g
	} else {
		f.pos = i
		if !f.scanString() {
			f.fail()
			return nil, mUnread
		}
		m = mUnread
		if f.plainAt == i {
			m = lookupMember(b[i+1 : f.pos-1])
		}
		n := min(m, numMembers) // an unknown name, or one with escapes
		f.next[f.prev], f.prev = n, n
	}
	f.state = fsColon
	f.end = f.pos
	if !f.spanEnd() {
		f.fail()
		return nil, mUnread
	}
	return jsontext.Value(b[i:f.pos]), m
}

// openObject reads the '{' of an object that is a member's value (after
// its name and the ':' that must then follow), as peek and delim would;
// for anything else it returns false having read nothing.
func (f *fastScanner) openObject() bool {
	if f.hasPeek || f.bad || f.state != fsColon || f.depth == maxFastDepth {
		return false
	}
	b := f.buf
	i := skipSpace(b, f.pos)
	if i >= len(b) || b[i] != ':' {
		return false
	}
	if i = skipSpace(b, i+1); i >= len(b) || b[i] != '{' {
		return false
	}
	f.stack[f.depth] = '{'
	f.depth++
	f.state = fsNameOrEnd
	f.pos = i + 1
	f.end = f.pos
	if !f.spanEnd() {
		return f.fail()
	}
	return true
}

// arrayEnd reads the ']' that ends the innermost container, an array,
// when it comes next (after '[' or an element), as delim would; for
// anything else it returns false having read nothing.
func (f *fastScanner) arrayEnd() bool {
	if f.hasPeek || f.bad || (f.state != fsValueOrEnd && f.state != fsNext) || f.stack[f.depth-1] != '[' {
		return false
	}
	i := skipSpace(f.buf, f.pos)
	if i >= len(f.buf) || f.buf[i] != ']' {
		return false
	}
	f.depth--
	f.afterValue()
	f.pos = i + 1
	f.end = f.pos
	if !f.spanEnd() {
		return f.fail()
	}
	return true
}

// endObject reads the '}' at b[i] that ends the innermost container, an
// object, as delim would; it returns mNone, or mUnread having failed.
func (f *fastScanner) endObject(i int) member {
	f.depth--
	f.afterValue()
	f.pos = i + 1
	f.end = f.pos
	if !f.spanEnd() {
		f.fail()
		return mUnread
	}
	return mNone
}

// guessed reports whether b[i:] starts with member g's name and the
// closing quote. With 32 bytes to read it compares four words under masks,
// without a branch per word or a call: the guess is usually right, and
// this runs once per member of the input.
func guessed(b []byte, i int, g member) bool {
	q := &quotedNames[g]
	if len(b)-i >= 32 {
		b = b[i : i+32]
		x := (binary.LittleEndian.Uint64(b)^q.words[0])&q.masks[0] |
			(binary.LittleEndian.Uint64(b[8:])^q.words[1])&q.masks[1] |
			(binary.LittleEndian.Uint64(b[16:])^q.words[2])&q.masks[2] |
			(binary.LittleEndian.Uint64(b[24:])^q.words[3])&q.masks[3]
		return x == 0
	}
	name := memberNames[g]
	return len(b)-i > len(name) && b[i+len(name)] == '"' && string(b[i:i+len(name)]) == name
}

// quotedName is a member name and its closing quote as little-endian
// words; masks select the bytes of each word that belong to them (the
// longest name and its quote take 31 bytes: TestQuotedNames).
type quotedName struct {
	words, masks [4]uint64
}

// quotedNames holds quotedName of each member.
var quotedNames = func() (q [numMembers]quotedName) {
	for m, name := range memberNames {
		var buf [32]byte
		n := copy(buf[:], name+`"`)
		for w := range 4 {
			q[m].words[w] = binary.LittleEndian.Uint64(buf[8*w:])
			for k := 8 * w; k < min(8*w+8, n); k++ {
				q[m].masks[w] |= 0xff << (8 * (k - 8*w))
			}
		}
	}
	return q
}()

// mUnread is name's member for a name with escapes.
const mUnread member = 254

// str reads a string where a value may come: after a member name and its
// ':', or as an array element (after '[', or after an element and the ','
// that must then follow). It is the common case of the value reads in one
// call; for anything else (another kind of value, the array's ']', a memo
// left by peek, input the generic reads then reject) it returns ok false
// having read nothing.
func (f *fastScanner) str() (jsontext.Value, bool) {
	i := f.strStart()
	if i < 0 {
		return nil, false
	}
	f.pos = i
	if !f.scanString() {
		return nil, f.fail()
	}
	if !f.strEnd() {
		return nil, false
	}
	return jsontext.Value(f.buf[i:f.pos]), true
}

// strStart returns the index of the opening '"' of a string where str
// would read one, or -1 having read nothing.
func (f *fastScanner) strStart() int {
	i := f.valueStart(true)
	if i < 0 || i >= len(f.buf) || f.buf[i] != '"' {
		return -1
	}
	return i
}

// valueStart returns the index after the white space and the ':' or ','
// that precede a value where one may come (an array element only when
// inArray), or -1; it reads nothing.
func (f *fastScanner) valueStart(inArray bool) int {
	if f.hasPeek || f.bad {
		return -1
	}
	b := f.buf
	i := skipSpace(b, f.pos)
	switch f.state {
	case fsValue, fsValueOrEnd:
	case fsColon:
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		i = skipSpace(b, i+1)
	case fsNext:
		if !inArray || i >= len(b) || b[i] != ',' || f.stack[f.depth-1] != '[' {
			return -1
		}
		i = skipSpace(b, i+1)
	default:
		return -1
	}
	return i
}

// strEnd ends a string value read up to pos.
func (f *fastScanner) strEnd() bool {
	f.afterValue()
	f.end = f.pos
	if !f.spanEnd() {
		return f.fail()
	}
	return true
}

// ipv4 reads a string value that is a canonical dotted-decimal IPv4
// address (four decimal numbers up to 255 without leading zeros, what
// parseIPv4 accepts), where str would read a string: the sending-mta-ip
// of most failure details, parsed as it is scanned. For anything else it
// returns ok false having read nothing.
func (f *fastScanner) ipv4() (netip.Addr, bool) {
	i := f.strStart()
	if i < 0 {
		return netip.Addr{}, false
	}
	b := f.buf
	var ip [4]byte
	j := i + 1
	for n := range ip {
		if n > 0 {
			if j >= len(b) || b[j] != '.' {
				return netip.Addr{}, false
			}
			j++
		}
		if j >= len(b) || b[j]-'0' > 9 {
			return netip.Addr{}, false
		}
		v := uint(b[j] - '0')
		j++
		if v != 0 { // no leading zeros: "0" stands alone
			for k := 0; k < 2 && j < len(b) && b[j]-'0' <= 9; k++ {
				v = v*10 + uint(b[j]-'0')
				j++
			}
			if v > 255 {
				return netip.Addr{}, false
			}
		}
		ip[n] = byte(v)
	}
	if j >= len(b) || b[j] != '"' {
		return netip.Addr{}, false
	}
	f.pos, f.plainAt = j+1, i
	if !f.strEnd() {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(ip), true
}

// count reads a number value that is a plain count (digits without a
// leading zero, what parseDigits accepts, and no fraction or exponent),
// where str would read a string: the session counts, parsed as they are
// scanned. For anything else it returns ok false having read nothing.
func (f *fastScanner) count() (int64, bool) {
	i := f.valueStart(false) // a count is a member's value
	if i < 0 {
		return 0, false
	}
	b := f.buf
	j := i
	var n int64
	for j < len(b) && j-i < 16 && b[j]-'0' <= 9 {
		n = n*10 + int64(b[j]-'0')
		j++
	}
	if j == i || (b[i] == '0' && j > i+1) || n > maxCount {
		return 0, false
	}
	if j < len(b) {
		switch b[j] {
		case '.', 'e', 'E', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return 0, false
		}
	}
	f.pos = j
	f.afterValue()
	f.end = f.pos
	if !f.spanEnd() {
		return 0, f.fail()
	}
	return n, true
}

// fail marks the input as not for the fast pass.
func (f *fastScanner) fail() bool {
	f.bad, f.hasPeek = true, false
	return false
}

// afterValue sets the state after a complete value.
func (f *fastScanner) afterValue() {
	if f.depth == 0 {
		f.state = fsDone
	} else {
		f.state = fsNext
	}
}

// value reads a string, number or literal: a member name where one is
// due, a value elsewhere. Objects and arrays are read with delim.
func (f *fastScanner) value() (jsontext.Value, bool) {
	k := f.peek()
	f.hasPeek = false
	start := f.pos
	switch f.state {
	case fsName, fsNameOrEnd:
		if k != '"' || !f.scanString() {
			return nil, f.fail()
		}
		f.state = fsColon
	case fsValue, fsValueOrEnd:
		var ok bool
		switch k {
		case '"':
			ok = f.scanString()
		case '0':
			ok = f.scanNumber()
		case 't':
			ok = f.literal("true")
		case 'f':
			ok = f.literal("false")
		case 'n':
			ok = f.literal("null")
		}
		if !ok {
			return nil, f.fail()
		}
		f.afterValue()
	default:
		return nil, f.fail()
	}
	f.end = f.pos
	if !f.spanEnd() {
		return nil, f.fail()
	}
	return jsontext.Value(f.buf[start:f.pos]), true
}

// delim reads '{', '[', '}' or ']'.
func (f *fastScanner) delim() bool {
	k := f.peek()
	f.hasPeek = false
	switch k {
	case '{', '[':
		if (f.state != fsValue && f.state != fsValueOrEnd) || f.depth == maxFastDepth {
			return f.fail()
		}
		f.stack[f.depth] = byte(k)
		f.depth++
		if k == '{' {
			f.state = fsNameOrEnd
		} else {
			f.state = fsValueOrEnd
		}
	case '}', ']':
		open, empty := byte('{'), fsNameOrEnd
		if k == ']' {
			open, empty = '[', fsValueOrEnd
		}
		if f.depth == 0 || f.stack[f.depth-1] != open || (f.state != empty && f.state != fsNext) {
			return f.fail()
		}
		f.depth--
		f.afterValue()
	default:
		return f.fail()
	}
	f.pos++
	f.end = f.pos
	if !f.spanEnd() {
		return f.fail()
	}
	return true
}

// skip reads one whole value, one span (as the tokenizer's SkipValue).
func (f *fastScanner) skip() bool {
	d0, in := f.depth, f.inSpan
	f.inSpan = true
	defer func() { f.inSpan = in }()
	for {
		switch f.peek() {
		case '{', '[', '}', ']':
			if !f.delim() {
				return false
			}
		default:
			if _, ok := f.value(); !ok {
				return false
			}
		}
		if f.depth == d0 {
			break
		}
	}
	f.inSpan = in
	if !f.spanEnd() {
		return f.fail()
	}
	return true
}

// spanEnd is checkSpan for the fast pass, called after each token: a span
// (a token, or a value read whole, and the white space before it) ends at
// the last token read, unless inside an object asLocal reads whole (which
// calls closeSpan at its end). It reports whether the span is within
// maxTokenSize; a longer one leaves the input to the tokenizer path.
func (f *fastScanner) spanEnd() bool {
	if f.inSpan {
		return true
	}
	return f.closeSpan()
}

// closeSpan ends a span at the last token read.
func (f *fastScanner) closeSpan() bool {
	span := f.end - f.lastEnd
	f.lastEnd = f.end
	return span <= maxTokenSize
}

// atEnd reports whether only white space follows the top-level value.
func (f *fastScanner) atEnd() bool {
	f.skipSpace()
	return !f.bad && f.state == fsDone && f.pos == len(f.buf)
}

// literal reads true, false or null.
func (f *fastScanner) literal(lit string) bool {
	if len(f.buf)-f.pos < len(lit) || string(f.buf[f.pos:f.pos+len(lit)]) != lit {
		return false
	}
	f.pos += len(lit)
	return true
}

// scanNumber reads an RFC 8259 §6 number.
func (f *fastScanner) scanNumber() bool {
	b, i := f.buf, f.pos
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	f.pos = i
	return true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// plainByte marks the bytes a string holds as they are: printable ASCII
// but '"' and '\\'.
var plainByte = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString reads an RFC 8259 §7 string of valid UTF-8 (RFC 8259 §8.1);
// a \u escape of a surrogate must be half of a pair.
func (f *fastScanner) scanString() bool {
	b, i := f.buf, f.pos+1
	f.plainAt = -1
	plain := true
	for {
		i = skipPlain(b, i)
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			if plain {
				f.plainAt = f.pos
			}
			f.pos = i + 1
			return true
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r, ok := hex4(b, i+2)
				if !ok {
					return false
				}
				i += 6
				if r >= 0xd800 && r <= 0xdfff {
					// A high surrogate, then \u and a low one.
					if r >= 0xdc00 || i+1 >= len(b) || b[i] != '\\' || b[i+1] != 'u' {
						return false
					}
					r2, ok := hex4(b, i+2)
					if !ok || r2 < 0xdc00 || r2 > 0xdfff {
						return false
					}
					i += 6
				}
			default:
				return false
			}
		case c < ' ':
			return false
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return false
			}
			i += n
		}
	}
}

// skipPlain returns the index of the first byte at or after b[i] that is
// not a plainByte, or len(b): eight bytes at a time, then (near the end of
// b) byte by byte.
func skipPlain(b []byte, i int) int {
	for i+8 <= len(b) {
		if m := specialMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(b) && plainByte[b[i]] {
		i++
	}
	return i
}

// specialMask returns the high bit of each byte of x (a little-endian
// word) that is not a plainByte: '"', '\\', a control character or a byte
// of a multi-byte UTF-8 sequence (the usual SWAR tests). A test may also
// mark bytes above one it marks rightly (a borrow runs upwards), never
// below: the lowest bit set is exactly the first such byte.
func specialMask(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lo * '"')
	b := x ^ (lo * '\\')
	return ((q-lo)&^q | (b-lo)&^b | (x-lo*' ')&^x | x) & hi
}

// hex4 parses the four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// decodeFast decodes buf (the input after a skipped byte order mark of
// base bytes) in one pass; ok is false when the input is left to the
// tokenizer path. s must be fresh, and is to be reset (resetGrammar)
// after a failure.
func (s *decodeState) decodeFast(buf []byte, base int64) (rep *Report, warns []Warning, ok bool) {
	s.fast = true
	s.fs.buf, s.fs.pos, s.fs.end, s.fs.state, s.fs.bad, s.fs.inSpan, s.fs.depth, s.fs.plainAt = buf, 0, 0, fsValue, false, false, 0, -1
	s.fs.hasPeek, s.fs.lastEnd = false, 0
	s.fs.braceAt, s.fs.braces = -1, 0
	s.fs.prev = numMembers // next is kept: see fastScanner
	defer func() {
		s.fast = false
		s.fs.buf = nil
	}()
	s.base = base
	if base != 0 {
		if err := s.deviate(CodeBOM, 0, func() string { return "input starts with a UTF-8 byte order mark (RFC 8259 §8.1); skipped" }); err != nil {
			return nil, nil, false
		}
	}
	rep = s.newReport()
	if err := s.decodeReport(rep); err != nil || !s.fs.atEnd() {
		return nil, nil, false
	}
	// Trailing white space counts as a span of its own (see decode).
	if len(buf)-s.fs.lastEnd > maxTokenSize {
		return nil, nil, false
	}
	return rep, s.finishWarnings(), true
}

// detailsHint returns the most failure-details elements that may still
// come, the next one included, when the array being decoded outgrew its
// first chunk, or 0 when that is not known (on the tokenizer path).
//
// Every element to come starts with a '{' of the input left, so their
// count bounds the elements; it is exact for a report of one policy with
// no '{' inside strings, which covers the large reports that matter. The
// count is capped by the amplification guard (grow): room for more
// elements than it would accept is never allocated. The bytes are counted
// once per decode (bytes.Count, vectorised): a later array subtracts the
// '{' between the last count and its position, so many arrays cost no
// more than one.
func (s *decodeState) detailsHint() int {
	if !s.fast {
		return 0
	}
	f := &s.fs
	p := f.pos // the next element's '{' (peeked)
	if f.braceAt < 0 {
		f.braces = bytes.Count(f.buf[p:], openBrace)
	} else if p > f.braceAt {
		f.braces -= bytes.Count(f.buf[f.braceAt:p], openBrace)
	}
	f.braceAt = p
	const size = int64(unsafe.Sizeof(FailureDetail{}))
	budget := (maxAmplification*(s.base+int64(len(f.buf)))+64<<10-s.model)/size + 1
	return int(min(int64(f.braces), max(budget, 0)))
}

var openBrace = []byte{'{'}

// resetGrammar undoes what a failed fast pass left in s.
func (s *decodeState) resetGrammar() {
	s.lastOff, s.maxSpan, s.model = 0, 0, 0
	s.path, s.pathN = s.pathArr[:], 0
	clear(s.warns)
	s.warns = s.warns[:0]
	s.dropped = 0
	s.intern, s.internTab, s.internSkip, s.ipCache = nil, nil, 0, nil
	clear(s.strArr[:])
	s.strScratch = s.strArr[:0]
	s.arena, s.arenaN = nil, 0
	s.opened = false
}
