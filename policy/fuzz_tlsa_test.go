package policy

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/dns/dnsmessage"
)

// fuzzQuestion and fuzzID are the query every fuzzed response answers.
var (
	fuzzQuestion = dnsmessage.Question{Name: dnsmessage.MustNewName("_25._tcp.mx.example."), Type: typeTLSA, Class: dnsmessage.ClassINET}
	fuzzID       = uint16(0x1234)
)

// tlsaResponse builds a response to fuzzQuestion: the header h (ID and
// QR set here), a CNAME chain from the question's name through cnames,
// rrs at the chain's end, and an OPT record with the EDE info code ede
// when ede >= 0.
func tlsaResponse(tb testing.TB, h dnsmessage.Header, cnames []string, rrs []TLSA, ede int) []byte {
	tb.Helper()
	h.ID, h.Response = fuzzID, true
	b := dnsmessage.NewBuilder(nil, h)
	b.EnableCompression()
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(b.StartQuestions())
	must(b.Question(fuzzQuestion))
	must(b.StartAnswers())
	owner := fuzzQuestion.Name
	for _, c := range cnames {
		target := dnsmessage.MustNewName(c)
		must(b.CNAMEResource(dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.CNAMEResource{CNAME: target}))
		owner = target
	}
	for _, rr := range rrs {
		data := append([]byte{byte(rr.Usage), byte(rr.Selector), byte(rr.MatchingType)}, rr.Data...)
		must(b.UnknownResource(dnsmessage.ResourceHeader{Name: owner, Type: typeTLSA, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.UnknownResource{Type: typeTLSA, Data: data}))
	}
	must(b.StartAdditionals())
	if ede >= 0 {
		var oh dnsmessage.ResourceHeader
		must(oh.SetEDNS0(1232, dnsmessage.RCodeSuccess, true))
		must(b.OPTResource(oh, dnsmessage.OPTResource{Options: []dnsmessage.Option{{Code: optionEDE, Data: binary.BigEndian.AppendUint16(nil, uint16(ede))}}}))
	}
	msg, err := b.Finish()
	must(err)
	return msg
}

// FuzzParseTLSAResponse checks parseTLSAResponse, which reads what the
// network sends: it never panics; what it returns does not alias the
// message; and a response rebuilt from its result (header bits, records,
// EDE code) parses to the same result.
func FuzzParseTLSAResponse(f *testing.F) {
	ee := TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: make([]byte, 32)}
	f.Add(tlsaResponse(f, dnsmessage.Header{AuthenticData: true, RecursionAvailable: true}, nil, []TLSA{ee}, -1))
	f.Add(tlsaResponse(f, dnsmessage.Header{}, []string{"a.example.", "b.example."}, []TLSA{ee, {Usage: 2, Data: []byte{1, 2, 3}}}, 0))
	f.Add(tlsaResponse(f, dnsmessage.Header{RCode: dnsmessage.RCodeServerFailure}, nil, nil, 6))
	f.Add(tlsaResponse(f, dnsmessage.Header{RCode: dnsmessage.RCodeNameError, AuthenticData: true}, nil, nil, -1))
	f.Add(tlsaResponse(f, dnsmessage.Header{Truncated: true}, nil, nil, -1))
	f.Add([]byte{0x12, 0x34, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, resp []byte) {
		ans, err := parseTLSAResponse(resp, fuzzID, fuzzQuestion)
		if err != nil {
			return
		}
		want := cloneAnswer(ans)
		for i := range resp {
			resp[i] ^= 0xff
		}
		if !sameAnswer(want, ans) {
			t.Fatalf("result aliases the message (-before +after):\n%s", cmp.Diff(want, ans, cmp.AllowUnexported(tlsaAnswer{})))
		}
		if ans.ede > 0xffff || ans.ede < -1 {
			t.Fatalf("ede %d", ans.ede)
		}
		rebuilt := tlsaResponse(t, dnsmessage.Header{AuthenticData: ans.ad, RCode: ans.rcode & 0xf}, nil, ans.rrs, ans.ede)
		again, err := parseTLSAResponse(rebuilt, fuzzID, fuzzQuestion)
		if err != nil {
			t.Fatalf("rebuilt response: %v", err)
		}
		if ans.rcode > 0xf {
			again.rcode = ans.rcode // extended RCODEs are not rebuilt
		}
		if !sameAnswer(ans, again) {
			t.Fatalf("rebuilt response parses differently (-first +again):\n%s", cmp.Diff(ans, again, cmp.AllowUnexported(tlsaAnswer{})))
		}
	})
}

// sameAnswer reports whether a and b are equal; cheaper than cmp.Equal,
// which matters when the fuzzer minimizes large inputs.
func sameAnswer(a, b tlsaAnswer) bool {
	if a.ad != b.ad || a.rcode != b.rcode || a.ede != b.ede || len(a.rrs) != len(b.rrs) {
		return false
	}
	for i, x := range a.rrs {
		y := b.rrs[i]
		if x.Usage != y.Usage || x.Selector != y.Selector || x.MatchingType != y.MatchingType || !bytes.Equal(x.Data, y.Data) {
			return false
		}
	}
	return true
}

func cloneAnswer(a tlsaAnswer) tlsaAnswer {
	c := a
	c.rrs = nil
	for _, rr := range a.rrs {
		rr.Data = append([]byte(nil), rr.Data...)
		c.rrs = append(c.rrs, rr)
	}
	return c
}
