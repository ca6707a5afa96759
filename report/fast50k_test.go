package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// detailsReport returns a report whose policies have the given numbers of
// failure details; extra is put after each detail's last member (an
// unknown member, say, with '{' inside strings).
func detailsReport(extra string, counts ...int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"organization-name":"o","date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"a@b.example","report-id":"r","policies":[`)
	for p, n := range counts {
		if p > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"policy":{"policy-type":"no-policy-found","policy-domain":"p%d.example"},"summary":{"total-successful-session-count":1,"total-failure-session-count":%d},"failure-details":[`, p, n)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"result-type":"validation-failure","sending-mta-ip":"192.0.2.%d","receiving-mx-hostname":"mx%d.p%d.example","failed-session-count":%d%s}`, i%250, i%3, p, i+1, extra)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// TestDetailsHint checks failure-details arrays sized by detailsHint (the
// '{' left in the input) against the tokenizer path, which grows them in
// chunks: one array or several, '{' inside strings (the hint too large),
// null elements, and sizes around the chunk boundaries. Every array must
// have no spare capacity, so that a caller's append copies it.
func TestDetailsHint(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		counts []int
	}{
		{name: "one array", data: detailsReport("", 1000), counts: []int{1000}},
		{name: "first chunk exactly", data: detailsReport("", 4), counts: []int{4}},
		{name: "one past the first chunk", data: detailsReport("", 5), counts: []int{5}},
		{name: "two arrays", data: detailsReport("", 300, 300), counts: []int{300, 300}},
		{name: "small then large", data: detailsReport("", 5, 2000), counts: []int{5, 2000}},
		{name: "large then small", data: detailsReport("", 2000, 5), counts: []int{2000, 5}},
		{name: "many arrays", data: detailsReport("", 6, 7, 8, 9, 10, 70, 3), counts: []int{6, 7, 8, 9, 10, 70, 3}},
		{name: "braces in strings", data: detailsReport(`,"x-note":"{{{{{{{{{{"`, 200), counts: []int{200}},
		{name: "braces in strings, few", data: detailsReport(`,"x-note":"{"`, 9), counts: []int{9}},
		{
			name:   "null elements",
			data:   bytes.Replace(detailsReport("", 40), []byte(`"failure-details":[`), []byte(`"failure-details":[null,null,null,null,null,null,`), 1),
			counts: []int{40},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !fastTaken(new(Decoder), tt.data) {
				t.Fatal("decoded by the tokenizer fallback")
			}
			sameAsTokenizer(t, tt.name, tt.data, 0)
			rep, _, err := Parse(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Policies) != len(tt.counts) {
				t.Fatalf("%d policies, want %d", len(rep.Policies), len(tt.counts))
			}
			for i, pr := range rep.Policies {
				fd := pr.FailureDetails
				if len(fd) != tt.counts[i] || cap(fd) != len(fd) {
					t.Errorf("policies[%d]: len %d cap %d, want len and cap %d", i, len(fd), cap(fd), tt.counts[i])
				}
				for j, d := range fd {
					if d.FailedSessionCount != int64(j+1) {
						t.Fatalf("policies[%d].failure-details[%d]: failed-session-count %d, want %d", i, j, d.FailedSessionCount, j+1)
					}
				}
			}
		})
	}
}

// TestDetailsHintAmplification checks that the hint never makes room for
// more elements than the amplification guard accepts: an array of empty
// objects followed by a long string of '{' decodes (leniently) as the
// tokenizer decodes it, and fails as it fails when the guard trips.
func TestDetailsHintAmplification(t *testing.T) {
	for _, n := range []int{10, 1000, 30000} {
		in := `{"policies":[{"failure-details":[` + strings.Repeat(`{},`, n) + `{}],"x":"` + strings.Repeat("{", 200000) + `"}]}`
		sameAsTokenizer(t, fmt.Sprintf("%d empty details", n), []byte(in), 0)
	}
}

// TestInternHash checks that internString returns the contents it was
// given whatever internTab holds, and for contents in the intern map that
// map's one copy: strings that share a slot of internTab replace each
// other there.
func TestInternHash(t *testing.T) {
	s := getDecodeState(nil)
	defer s.release()
	keys := []string{"a", "b", "ab", "ba", "mx1.example.com", "mx2.example.com", "X509_V_ERR_CERT_HAS_EXPIRED", "X509_V_ERR_CERT_HAS_EXPIRED2", "X509_V_ERR_CERTXHAS_EXPIRED"}
	for i := range 300 {
		keys = append(keys, fmt.Sprintf("host-%03d.example", i), fmt.Sprintf("h%d", i))
	}
	for round := range 3 {
		for _, k := range keys {
			got := s.internString([]byte(k))
			if got != k {
				t.Fatalf("round %d: internString(%q) = %q", round, k, got)
			}
			if m, ok := s.intern[k]; ok && unsafe.StringData(m) != unsafe.StringData(got) {
				t.Errorf("round %d: internString(%q) is not the intern map's copy", round, k)
			}
		}
	}
	if s.internTab == nil {
		t.Fatal("internTab not made")
	}
}

// TestFastIPv4 checks fastScanner.ipv4 against parseIPv4 on the string
// read whole: it reads exactly the strings parseIPv4 accepts, the same
// address, and nothing at all of any other value.
func TestFastIPv4(t *testing.T) {
	in := []string{
		"0.0.0.0", "1.2.3.4", "255.255.255.255", "198.51.100.62", "10.0.0.1", "9.99.199.249",
		"256.1.1.1", "1.2.3.256", "01.2.3.4", "1.02.3.4", "1.2.3.04", "00.0.0.0", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3",
		"1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.1000", "1000.2.3.4", "1.2.3.4\\u0030", "1.2.3.x", "", "::1", "2001:db8::1",
		"::ffff:1.2.3.4", "1.2.3.4%eth0", "١.2.3.4",
	}
	for i := range 2000 {
		// Octets of one to four digits, some with leading zeros.
		oct := func(k int) string { return fmt.Sprint([]string{"", "0", "00"}[k%3], (i*k*7919+k)%300) }
		in = append(in, oct(i)+"."+oct(i+1)+"."+oct(i+2)+"."+oct(i+3))
	}
	for _, s := range in {
		for _, tail := range []string{"", "]", ",1]"} {
			data := []byte(`"` + s + `"` + tail)
			f := fastScanner{buf: data, state: fsValue, plainAt: -1}
			got, ok := f.ipv4()
			want, wantOK := parseIPv4([]byte(s))
			if ok != wantOK || got != want {
				t.Errorf("ipv4(%q) = %v, %v; parseIPv4: %v, %v", s, got, ok, want, wantOK)
			}
			wantPos := 0
			if ok {
				wantPos = len(s) + 2
			}
			if f.pos != wantPos || f.bad {
				t.Errorf("ipv4(%q): pos %d bad %v, want pos %d", s, f.pos, f.bad, wantPos)
			}
		}
	}
}

// TestNamePrediction checks the fast pass's guess of the next member
// name (fastScanner.name) against the tokenizer path: details whose
// members change order from one to the next, names that start like the
// guess (a prefix of it, or it as a prefix), names with escapes, unknown
// and variant names, duplicates, and a name cut by the end of the input.
// The inputs are decoded one after the other, so the guesses a pooled
// state keeps from one decode meet the next. What decodes must be decoded
// by the fast pass itself.
func TestNamePrediction(t *testing.T) {
	const head = `{"organization-name":"o","date-range":{"start-datetime":"2024-05-01T00:00:00Z","end-datetime":"2024-05-01T23:59:59Z"},"contact-info":"a@b.example","report-id":"r","policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"example.com"},"summary":{"total-successful-session-count":1,"total-failure-session-count":1},"failure-details":[`
	const tail = `]}]}`
	details := []string{
		`{"result-type":"validation-failure","sending-mta-ip":"192.0.2.1","failed-session-count":1}`,
		`{"result-type":"validation-failure","failed-session-count":2,"sending-mta-ip":"192.0.2.2"}`,
		`{"failed-session-count":3,"result-type":"starttls-not-supported"}`,
		`{"result-type":"validation-failure","sending-mta-ip":"192.0.2.4","failed-session-count":4}`,
		`{"result\u002dtype":"validation-failure","sending-mta-ip":"192.0.2.5","failed-session-count":5}`,
		`{"result-type":"validation-failure","sending-mta-ipx":"192.0.2.6","failed-session-count":6}`,
		`{"result-type":"validation-failure","sending-mta":"192.0.2.7","failed-session-count":7}`,
		`{"result-type":"validation-failure","ip-address":"192.0.2.8","failed-session-count":8}`,
		`{"result-type":"validation-failure","Sending_MTA_IP":"192.0.2.9","failed-session-count":9}`,
		`{"result-type":"validation-failure","sending-mta-ip":"192.0.2.10","sending-mta-ip":"192.0.2.11","failed-session-count":10}`,
		`{"result-type":"validation-failure","receiving-mx-host-name":"mx.example.com","failed-session-count":11}`,
		`{"result-type":"validation-failure","policy-type":"sts","failed-session-count":12}`,
		`{"result-type":"validation-failure","sending-mta-ip\"":"192.0.2.13","failed-session-count":13}`,
	}
	var inputs []string
	for i := range details {
		// Each detail after a run of the same one, so that the guess
		// is the first detail's order; then all of them in turn.
		inputs = append(inputs, head+strings.Repeat(details[0]+",", 3)+details[i]+tail)
	}
	inputs = append(inputs, head+strings.Join(details, ",")+tail)
	all := head + strings.Join(details, ",") + tail
	for _, cut := range []string{`"sending-mta-ip`, `"sending-mta-ip"`, `"failed-session-cou`} {
		i := strings.LastIndex(all, cut)
		inputs = append(inputs, all[:i+len(cut)])
	}
	for _, in := range inputs {
		sameAsTokenizer(t, in, []byte(in), 0)
		// A wrong guess taken would leave the scanner inside a string:
		// the fallback would hide it, so what decodes must be decoded
		// by the fast pass itself.
		if _, _, err := Parse([]byte(in)); err == nil && !fastTaken(new(Decoder), []byte(in)) {
			t.Errorf("decoded by the tokenizer fallback: %s", in)
		}
	}
}

// TestQuotedNames checks guessed against the plain comparison for every
// member at every offset near the end of the input, so that the word
// comparison never reads past the input nor accepts a prefix.
func TestQuotedNames(t *testing.T) {
	for m, name := range memberNames {
		if len(name)+1 > 32 {
			t.Fatalf("member name %q and its quote take more than 32 bytes", name)
		}
		for _, tail := range []string{`"`, `":1`, `":1,` + strings.Repeat(" ", 40), `x"`, ``} {
			for pad := 0; pad < 3; pad++ {
				b := []byte(strings.Repeat(" ", pad) + `"` + name + tail)
				want := strings.HasPrefix(tail, `"`)
				if got := guessed(b, pad+1, member(m)); got != want {
					t.Errorf("guessed(%q, member %q) = %v, want %v", b, name, got, want)
				}
			}
		}
		// Another member's name is no match, nor is a longer name.
		other := memberNames[(m+1)%len(memberNames)]
		b := []byte(`"` + other + `"` + strings.Repeat(" ", 40))
		if guessed(b, 1, member(m)) {
			t.Errorf("guessed %q as %q", other, name)
		}
		b = []byte(`"` + name + `x"` + strings.Repeat(" ", 40))
		if guessed(b, 1, member(m)) {
			t.Errorf("guessed %q as %q", b, name)
		}
	}
}
