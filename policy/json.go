package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-tlsrpt/tlsrpt/internal/jsonstr"

	"github.com/go-json-experiment/json/jsontext"
)

// MarshalJSON encodes p as the canonical RFC 8460 §4.4 policy object:
// members in the order policy-type, policy-string, policy-domain,
// mx-host; every member present; policy-string and mx-host always arrays
// (never null, also for tlsa and no-policy-found). Values are written as
// stored: an unknown policy-type is kept verbatim. Invalid UTF-8 is
// replaced by U+FFFD.
func (p Policy) MarshalJSON() ([]byte, error) {
	n := 80 + len(p.Type) + len(p.Domain)
	for _, s := range p.Strings {
		n += len(s) + 3
	}
	for _, s := range p.MXHosts {
		n += len(s) + 3
	}
	return p.appendJSON(make([]byte, 0, n)), nil
}

func (p Policy) appendJSON(b []byte) []byte {
	b = append(b, `{"policy-type":`...)
	b = appendJSONString(b, string(p.Type))
	b = append(b, `,"policy-string":`...)
	b = appendJSONStrings(b, p.Strings)
	b = append(b, `,"policy-domain":`...)
	b = appendJSONString(b, p.Domain)
	b = append(b, `,"mx-host":`...)
	b = appendJSONStrings(b, p.MXHosts)
	return append(b, '}')
}

func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string escaped as encoding/json
// escapes it; invalid UTF-8 becomes U+FFFD, as with encoding/json.
func appendJSONString(b []byte, s string) []byte {
	b, _ = jsonstr.Append(b, s)
	return b
}

// UnmarshalJSON decodes an RFC 8460 §4.4 policy object. Member names are
// matched exactly; unknown members are ignored; a repeated member is an
// error. Values are kept as sent (no domain normalisation; an unknown
// policy-type verbatim), and it tolerates what real reports contain:
// a null or missing member leaves the field empty, and policy-string or
// mx-host given as a single string (the RFC 8460 Appendix B example, EID
// 6241) becomes a one-element slice. Use report's decoder to learn which
// of these repairs were made.
func (p *Policy) UnmarshalJSON(data []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowInvalidUTF8(true))
	tok, err := dec.ReadToken()
	if err != nil {
		return jsonErr("", err)
	}
	if tok.Kind() != '{' {
		return errors.New("policy: policy is not a JSON object")
	}
	var q Policy
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return jsonErr("", err)
		}
		name := tok.String()
		switch name {
		case "policy-type":
			s, err := readJSONString(dec, name)
			if err != nil {
				return err
			}
			q.Type = Type(s)
		case "policy-domain":
			s, err := readJSONString(dec, name)
			if err != nil {
				return err
			}
			q.Domain = s
		case "policy-string", "mx-host":
			ss, err := readJSONStrings(dec, name)
			if err != nil {
				return err
			}
			if name == "mx-host" {
				q.MXHosts = ss
			} else {
				q.Strings = ss
			}
		default:
			// RFC 8460 is silent on unknown members: ignore them.
			if err := dec.SkipValue(); err != nil {
				return jsonErr(name, err)
			}
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return jsonErr("", err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return errors.New("policy: data after the policy object")
	}
	*p = q
	return nil
}

func readJSONString(dec *jsontext.Decoder, name string) (string, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return "", jsonErr(name, err)
	}
	switch tok.Kind() {
	case '"':
		return tok.String(), nil
	case 'n':
		return "", nil
	}
	return "", errors.New("policy: " + name + " is not a string")
}

func readJSONStrings(dec *jsontext.Decoder, name string) ([]string, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, jsonErr(name, err)
	}
	switch tok.Kind() {
	case 'n':
		return nil, nil
	case '"':
		// QUIRK(RFC 8460 Appendix B, draft-era senders): "mx-host" as a
		// bare string (EID 6241); §4's prose also calls policy-string
		// "a string" (RFC 8460 §4.4).
		return []string{tok.String()}, nil
	case '[':
	default:
		return nil, errors.New("policy: " + name + " is not an array of strings")
	}
	ss := []string{}
	for dec.PeekKind() != ']' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, jsonErr(name, err)
		}
		if tok.Kind() != '"' {
			return nil, errors.New("policy: " + name + " has an element that is not a string")
		}
		ss = append(ss, tok.String())
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, jsonErr(name, err)
	}
	return ss, nil
}

func jsonErr(name string, err error) error {
	if name == "" {
		return fmt.Errorf("policy: invalid JSON: %w", err)
	}
	return fmt.Errorf("policy: invalid JSON in %s: %w", name, err)
}
