package policy_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

func ExampleParseSTSPolicy() {
	// A policy as served at https://mta-sts.example.com/.well-known/mta-sts.txt.
	text := "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n"
	p, err := policy.ParseSTSPolicy(text)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Mode, p.MaxAgeSeconds, p.MX)
	fmt.Println(p.MatchMX("MAIL.example.com."))
	fmt.Println(p.MatchMX("mx1.example.net"))
	fmt.Println(p.MatchMX("a.b.example.net")) // the wildcard covers one label only
	// Output:
	// enforce 604800 [mail.example.com *.example.net]
	// true
	// true
	// false
}

func ExampleParseSTSPolicy_error() {
	_, err := policy.ParseSTSPolicy("version: STSv1\nmode: enforce\nmx: mail.example.com.\nmax_age: 86400\n")
	var d *tlsrpt.Diagnostic
	if errors.As(err, &d) {
		fmt.Println(d.Path, d.Offset, d.Code)
	}
	fmt.Println(err)
	// Output:
	// line 3 33 mx-trailing-dot
	// tlsrpt: error line 3 at offset 33: mx "mail.example.com.": trailing dot in host name [mx-trailing-dot]
}

func ExampleSTSPolicy_String() {
	p := &policy.STSPolicy{Mode: policy.ModeTesting, MaxAgeSeconds: 86400, MX: []string{"mx1.example.com"}}
	fmt.Printf("%q\n", p.String())
	// Output:
	// "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n"
}

func ExampleParseSTSRecord() {
	rec, err := policy.ParseSTSRecord("v=STSv1; id=20240131T101500;")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec.ID)
	fmt.Println(rec)

	_, err = policy.ParseSTSRecord("v=STSv1; id=2024-01-31")
	fmt.Println(err)
	// Output:
	// 20240131T101500
	// v=STSv1; id=20240131T101500
	// tlsrpt: error at offset 16: invalid character '-' in the value of id [record-syntax]
}

func ExampleNoPolicyFound() {
	p, err := policy.NoPolicyFound("Göpher.example.")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(p)
	fmt.Println(string(b))
	// Output:
	// {"policy-type":"no-policy-found","policy-string":[],"policy-domain":"xn--gpher-jua.example","mx-host":[]}
}

// The policy block of a parsed policy, in the canonical order.
func ExampleFromSTSText_canonical() {
	sts, err := policy.ParseSTSPolicy("version: STSv1\nmode: enforce\nmax_age: 1209600\nmx: *.mail.example.com\n")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := policy.FromSTSText("example.com", sts.String())
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(p)
	fmt.Println(string(b))
	// Output:
	// {"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: *.mail.example.com","max_age: 1209600"],"policy-domain":"example.com","mx-host":["*.mail.example.com"]}
}

func ExampleFromSTSText() {
	// The policy as served, with its mistake (a capitalised key), for a
	// report with result type sts-policy-invalid.
	p, err := policy.FromSTSText("example.com", "version: STSv1\nMode: enforce\nmx: mail.example.com\nmax_age: 86400\n")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q %q\n", p.Strings, p.MXHosts)
	// Output:
	// ["version: STSv1" "Mode: enforce" "mx: mail.example.com" "max_age: 86400"] ["mail.example.com"]
}

func ExampleFromTLSA() {
	var rrs []policy.TLSA
	for _, s := range []string{
		"3 1 1 CEC87FB33D2A7499CA78E824E59B77531AC1FDEC7378FC81FCE7E5D213A364AB",
		"3 1 1 5C046FF012891B5F0D6176024C5C25FF486A7C12B8000FDF8B418AB3ECF6D309",
	} {
		rr, _, err := policy.ParseTLSA(s)
		if err != nil {
			fmt.Println(err)
			return
		}
		rrs = append(rrs, rr)
	}
	p, err := policy.FromTLSA("mail.example.com", rrs)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range p.Strings {
		fmt.Println(s)
	}
	fmt.Println(p.Domain, p.Type)
	// Output:
	// 3 1 1 5c046ff012891b5f0d6176024c5c25ff486a7c12b8000fdf8b418ab3ecf6d309
	// 3 1 1 cec87fb33d2a7499ca78e824e59b77531ac1fdec7378fc81fce7e5d213a364ab
	// mail.example.com tlsa
}

func ExampleParseTLSA() {
	rr, repairs, err := policy.ParseTLSA("3 1 1 5C046FF012891B5F0D6176024C5C25FF486A7C12B8000FDF8B418AB3ECF6D309")
	if err != nil {
		fmt.Println(err)
		return
	}
	// The RFC 8460 §4.5 form: no repairs.
	fmt.Println(rr.Usage, rr.Selector, rr.MatchingType, len(rr.Data), len(repairs), rr.Usage == policy.UsageDANEEE)

	// As a zone file might write it: read, with one Diagnostic per repair.
	rr, repairs, err = policy.ParseTLSA("3 1 1 ( 5c046ff012891b5f0d6176024c5c25ff\n\t486a7c12b8000fdf8b418ab3ecf6d309 )")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rr)
	for _, d := range repairs {
		fmt.Println(d.Offset, d.Message)
	}

	_, _, err = policy.ParseTLSA("DANE-EE SPKI SHA2-256 5c04")
	fmt.Println(err)
	// Output:
	// 3 1 1 32 0 true
	// 3 1 1 5c046ff012891b5f0d6176024c5c25ff486a7c12b8000fdf8b418ab3ecf6d309
	// 6 grouping parentheses around the certificate association data (RFC 8460 §4.5)
	// 7 whitespace inside the certificate association data (RFC 8460 §4.5)
	// tlsrpt: error at offset 0: RFC 7218 mnemonic "DANE-EE" is not the presentation form; write 3 [tlsa-syntax]
}

func ExamplePolicy_TLSARecords() {
	// Microsoft encodes the whole RRset as one JSON array string.
	var p policy.Policy
	err := json.Unmarshal([]byte(`{"policy-type":"tlsa","policy-string":["[\"3 1 1 7FF8B87BB269715FEF08A0F4F0033D7A2F3B680470A30E878CEB2D3E244AF3EA\"]"],"policy-domain":"example.fr"}`), &p)
	if err != nil {
		fmt.Println(err)
		return
	}
	rrs, err := p.TLSARecords()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rrs[0])
	// Output:
	// 3 1 1 7ff8b87bb269715fef08a0f4f0033d7a2f3b680470a30e878ceb2d3e244af3ea
}

func ExamplePolicy_Key() {
	// The same RRset, as two senders might write it: Keys compare equal.
	a := policy.Policy{Type: policy.TypeTLSA, Domain: "mx.example.com", Strings: []string{"3 1 1 AB", "3 1 1 cd"}}
	b := policy.Policy{Type: policy.TypeTLSA, Domain: "MX.example.com", Strings: []string{"3 1 1 CD", "3 1 1 ab"}}
	c := policy.Policy{Type: policy.TypeTLSA, Domain: "mx.example.com", Strings: []string{"3 1 1 ab"}}
	fmt.Println(a.Key() == b.Key(), a.Key() == c.Key())
	// Output:
	// true false
}

func ExampleLintSTSPolicy() {
	text := "version: STSv1\nmode: testing\nmx: *.example.com\nmax_age: 86400\n"
	for _, d := range policy.LintSTSPolicy(text, []string{"example.com", "mx1.example.com"}) {
		fmt.Printf("%s %s %q %d\n", d.Severity, d.Code, d.Path, d.Offset)
	}
	// Output:
	// warning mx-not-covered "" 0
	// warning mode-testing "line 2" 15
}

func ExampleLintSTSRecord() {
	// The TXT strings found at _mta-sts.example.com.
	for _, d := range policy.LintSTSRecord("v=spf1 -all", "v=STSv1; id=2024-06-01") {
		fmt.Println(d)
	}
	// Output:
	// info at offset 0: not an MTA-STS record; senders ignore it [record-other]
	// error #1 at offset 12: the id "2024-06-01" has characters other than letters and digits (RFC 8461 §3.1) [record-id-invalid] (fix: id=20240601)
	// error #1 at offset 16: senders ignore this record: invalid character '-' in the value of id [record-syntax]
}

func ExampleSelectSTSRecord() {
	txts := []string{"v=spf1 -all", "v=STSv1; id=1"}
	rec, err := policy.SelectSTSRecord(txts)
	fmt.Println(rec, err)
	_, err = policy.SelectSTSRecord(append(txts, "v=STSv1; id=2"))
	fmt.Println(err)
	// Output:
	// v=STSv1; id=1 <nil>
	// policy: more than one mta-sts record
}

func ExampleReadSTSPolicy() {
	// body would be the response body of the HTTPS GET (RFC 8461 §3.3);
	// ReadSTSPolicy stops reading after 64 KiB.
	body := strings.NewReader("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n")
	p, err := policy.ReadSTSPolicy(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Mode)
	// Output:
	// testing
}

func ExampleSTSPolicy_MatchMX() {
	p := &policy.STSPolicy{Mode: policy.ModeEnforce, MaxAgeSeconds: 604800, MX: []string{"*.example.com"}}
	fmt.Println(p.MatchMX("mx1.example.com."))
	fmt.Println(p.MatchMX("example.com"))
	fmt.Println(p.MatchMX("a.mx.example.com"))
	// Output:
	// true
	// false
	// false
}

func ExampleSTSPolicy_Validate() {
	p := &policy.STSPolicy{Mode: policy.ModeEnforce, MaxAgeSeconds: 86400}
	fmt.Println(p.Validate())
	p.MX = []string{"mail.example.com"}
	fmt.Println(p.Validate())
	// Output:
	// tlsrpt: error mx: missing mx field (required unless mode is none) [missing-field]
	// <nil>
}

func ExamplePolicy_UnmarshalJSON() {
	var p policy.Policy
	err := json.Unmarshal([]byte(`{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: *.mail.company-y.example","max_age: 86400"],"policy-domain":"company-y.example","mx-host":["*.mail.company-y.example"]}`), &p)
	if err != nil {
		fmt.Println(err)
		return
	}
	sts, err := p.STS()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sts.Mode, sts.MatchMX("mx1.mail.company-y.example"))

	// The RFC 8460 Appendix B example writes mx-host as a string: strict
	// decoding refuses it (package report's Decoder repairs it, with a
	// warning of the same code).
	err = json.Unmarshal([]byte(`{"policy-type":"sts","policy-domain":"company-y.example","mx-host":"*.mail.company-y.example"}`), &p)
	var d *tlsrpt.Diagnostic
	if errors.As(err, &d) {
		fmt.Println(d.Path, d.Code)
	}
	// Output:
	// testing true
	// mx-host mx-host-string
}

func ExamplePolicy_MarshalJSON() {
	p := policy.Policy{Type: policy.TypeSTS, Domain: "example.com", Strings: []string{"version: STSv1", "mode: testing", "mx: mx.example.com", "max_age: 86400"}, MXHosts: []string{"mx.example.com"}}
	b, err := json.Marshal(p)
	fmt.Println(string(b), err)

	// A string that is not UTF-8 has no canonical encoding.
	p.Strings[1] = "mode: \xfftesting"
	_, err = p.MarshalJSON()
	fmt.Println(err)
	// Output:
	// {"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx.example.com","max_age: 86400"],"policy-domain":"example.com","mx-host":["mx.example.com"]} <nil>
	// tlsrpt: error policy-string[1]: string is not valid UTF-8 (RFC 8259 §8.1), so the policy has no canonical encoding [invalid-utf8]
}
