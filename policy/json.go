package policy

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/jsonstr"

	"github.com/go-json-experiment/json/jsontext"
)

// The codes of the *tlsrpt.Diagnostic errors of UnmarshalJSON and
// MarshalJSON. All but codeInvalidUTF8 are the codes package report's
// strict Decoder gives the same deviations.
const (
	codeWrongType          tlsrpt.Code = "wrong-type"
	codeMXHostString       tlsrpt.Code = "mx-host-string"
	codePolicyStringString tlsrpt.Code = "policy-string-string"
	codeNullMember         tlsrpt.Code = "null-member"
	codeUnknownMember      tlsrpt.Code = "unknown-member"
	codeDuplicateMember    tlsrpt.Code = "duplicate-member"
	codeMissingMember      tlsrpt.Code = "missing-member"
	codeInvalidUTF8        tlsrpt.Code = "invalid-utf8"
)

// MarshalJSON encodes p as the canonical RFC 8460 §4.4 policy object:
// members in the order policy-type, policy-string, policy-domain,
// mx-host; every member present; policy-string and mx-host always arrays
// (never null, also for tlsa and no-policy-found); strings escaped as
// encoding/json escapes them. Values are written as stored: an unknown
// policy-type is kept verbatim, and domains are not normalised (the
// constructors store them normalised). UnmarshalJSON accepts the output
// and gives back an equal Policy.
//
// A string that is not valid UTF-8 has no canonical encoding (RFC 8259
// §8.1): MarshalJSON then fails with a *tlsrpt.Diagnostic whose Path names
// the member, such as "policy-string[1]", and whose Code is
// "invalid-utf8", instead of writing U+FFFD.
func (p Policy) MarshalJSON() ([]byte, error) {
	n := 80 + len(p.Type) + len(p.Domain)
	for _, s := range p.Strings {
		n += len(s) + 3
	}
	for _, s := range p.MXHosts {
		n += len(s) + 3
	}
	e := encoder{b: make([]byte, 0, n)}
	e.policy(&p)
	if e.bad != "" {
		return nil, &tlsrpt.Diagnostic{Path: e.bad, Code: codeInvalidUTF8, Severity: tlsrpt.SeverityError,
			Message: "string is not valid UTF-8 (RFC 8259 §8.1), so the policy has no canonical encoding"}
	}
	return e.b, nil
}

// encoder appends the canonical encoding and remembers the path of the
// first string that is not valid UTF-8.
type encoder struct {
	b   []byte
	bad string
}

func (e *encoder) policy(p *Policy) {
	e.b = append(e.b, `{"policy-type":`...)
	e.str(string(p.Type), "policy-type", -1)
	e.b = append(e.b, `,"policy-string":`...)
	e.strs(p.Strings, "policy-string")
	e.b = append(e.b, `,"policy-domain":`...)
	e.str(p.Domain, "policy-domain", -1)
	e.b = append(e.b, `,"mx-host":`...)
	e.strs(p.MXHosts, "mx-host")
	e.b = append(e.b, '}')
}

func (e *encoder) strs(ss []string, name string) {
	e.b = append(e.b, '[')
	for i, s := range ss {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.str(s, name, i)
	}
	e.b = append(e.b, ']')
}

// str appends s as a JSON string escaped as encoding/json escapes it.
func (e *encoder) str(s, name string, index int) {
	var ok bool
	if e.b, ok = jsonstr.Append(e.b, s); !ok && e.bad == "" {
		e.bad = name
		if index >= 0 {
			e.bad += "[" + strconv.Itoa(index) + "]"
		}
	}
}

// UnmarshalJSON decodes an RFC 8460 §4.4 policy object strictly, so that
// json.Unmarshal never repairs anything silently: the input must be
// valid UTF-8 JSON, an object whose members are policy-type and
// policy-domain (strings, required) and policy-string and mx-host (arrays
// of strings, optional), each at most once, with no other member and no
// null. Values are kept as sent: domains are not normalised, TLSA strings
// are not checked, and an unknown policy-type is kept verbatim.
//
// A deviation is returned as a *tlsrpt.Diagnostic whose Path names the
// member as in "mx-host" or "policy-string[2]", whose Offset is the byte
// offset in data, and whose Code is the one package report's strict
// Decoder gives the same deviation: "mx-host-string" or
// "policy-string-string" for a bare string where an array belongs (the
// RFC 8460 Appendix B example writes mx-host so, erratum EID 6241),
// "null-member", "missing-member", "unknown-member", "duplicate-member",
// or "wrong-type". Invalid JSON is an error wrapping the tokenizer's. To
// accept what real senders write and learn what was repaired, decode
// reports with package report's Decoder.
func (p *Policy) UnmarshalJSON(data []byte) error {
	d := decoder{data: data, dec: jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true))}
	tok, err := d.dec.ReadToken()
	if err != nil {
		return jsonErr(err)
	}
	if tok.Kind() != '{' {
		return d.fail("", 0, codeWrongType, "the policy is not a JSON object")
	}
	var q Policy
	var seen [4]bool
	for d.dec.PeekKind() != '}' {
		nameOff := d.next()
		tok, err := d.dec.ReadToken()
		if err != nil {
			return jsonErr(err)
		}
		name := tok.String()
		m := -1
		for i, n := range memberNames {
			if name == n {
				m = i
			}
		}
		if m < 0 {
			return d.fail(name, nameOff, codeUnknownMember, "unknown member "+strconv.Quote(name)+
				"; RFC 8460 §4.4 defines policy-type, policy-string, policy-domain and mx-host")
		}
		if seen[m] {
			return d.fail(name, nameOff, codeDuplicateMember, "member "+name+" appears twice (RFC 7493 §2.3)")
		}
		seen[m] = true
		switch m {
		case 0:
			s, err := d.str(name)
			if err != nil {
				return err
			}
			q.Type = Type(s)
		case 1:
			if q.Strings, err = d.strs(name, codePolicyStringString); err != nil {
				return err
			}
		case 2:
			if q.Domain, err = d.str(name); err != nil {
				return err
			}
		case 3:
			if q.MXHosts, err = d.strs(name, codeMXHostString); err != nil {
				return err
			}
		}
	}
	end := d.next()
	if _, err := d.dec.ReadToken(); err != nil {
		return jsonErr(err)
	}
	for _, m := range [...]int{0, 2} {
		if !seen[m] {
			return d.fail(memberNames[m], end, codeMissingMember, "required member "+memberNames[m]+" is missing (RFC 8460 §4.4)")
		}
	}
	if _, err := d.dec.ReadToken(); err != io.EOF {
		if err == nil {
			return jsonErr(fmt.Errorf("data after the policy object at offset %d", d.dec.InputOffset()))
		}
		return jsonErr(err)
	}
	*p = q
	return nil
}

// memberNames are the members of the policy object (RFC 8460 §4.4), in
// canonical order.
var memberNames = [4]string{"policy-type", "policy-string", "policy-domain", "mx-host"}

type decoder struct {
	data []byte
	dec  *jsontext.Decoder
}

// next returns the offset of the next token: the decoder's offset past
// the whitespace and separators that precede it.
func (d *decoder) next() int {
	off := int(d.dec.InputOffset())
	for off < len(d.data) {
		switch d.data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
		default:
			return off
		}
	}
	return off
}

func (d *decoder) fail(path string, off int, code tlsrpt.Code, msg string) error {
	return &tlsrpt.Diagnostic{Path: path, Offset: off, Code: code, Severity: tlsrpt.SeverityError, Message: msg}
}

// str reads the string value of member name.
func (d *decoder) str(name string) (string, error) {
	off := d.next()
	tok, err := d.dec.ReadToken()
	if err != nil {
		return "", jsonErr(err)
	}
	switch tok.Kind() {
	case '"':
		return tok.String(), nil
	case 'n':
		return "", d.fail(name, off, codeNullMember, name+" is null")
	}
	return "", d.fail(name, off, codeWrongType, name+" is not a string")
}

// strs reads the array of strings of member name; bare is the code of a
// string in its place.
func (d *decoder) strs(name string, bare tlsrpt.Code) ([]string, error) {
	off := d.next()
	tok, err := d.dec.ReadToken()
	if err != nil {
		return nil, jsonErr(err)
	}
	switch tok.Kind() {
	case '[':
	case 'n':
		return nil, d.fail(name, off, codeNullMember, name+" is null")
	case '"':
		return nil, d.fail(name, off, bare, name+" is a string, not an array of strings (RFC 8460 §4.4)")
	default:
		return nil, d.fail(name, off, codeWrongType, name+" is not an array of strings")
	}
	ss := []string{}
	for d.dec.PeekKind() != ']' {
		off := d.next()
		tok, err := d.dec.ReadToken()
		if err != nil {
			return nil, jsonErr(err)
		}
		path := name + "[" + strconv.Itoa(len(ss)) + "]"
		switch tok.Kind() {
		case '"':
			ss = append(ss, tok.String())
			continue
		case 'n':
			return nil, d.fail(path, off, codeNullMember, path+" is null")
		}
		return nil, d.fail(path, off, codeWrongType, path+" is not a string")
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return nil, jsonErr(err)
	}
	return ss, nil
}

func jsonErr(err error) error {
	return fmt.Errorf("policy: invalid JSON: %w", err)
}
