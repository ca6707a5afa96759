package policy

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
)

// TestCorpus runs every policy block of every report in the shared corpus
// through the package. Strict decoding (UnmarshalJSON) either succeeds or
// names a shape deviation real senders make, as a *tlsrpt.Diagnostic;
// such blocks are read on by a loose test decoder. Then: canonical encode
// → strict decode must give the same Key; every sts policy-string present must
// parse as an MTA-STS policy whose mx patterns agree with mx-host when it
// is sent; every tlsa policy-string must parse (Microsoft's double
// encoding included) and FromTLSA of the result must have the Key of the
// decoded policy.
func TestCorpus(t *testing.T) {
	files := corpus.Files(t, "reports", "*")
	counts := map[Type]int{}
	ran := 0
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			ran++
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(name, ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if data, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			var rep struct {
				Policies []struct {
					Policy json.RawMessage `json:"policy"`
				} `json:"policies"`
			}
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatalf("corpus file is not JSON: %v", err)
			}
			for i, entry := range rep.Policies {
				var p Policy
				if err := p.UnmarshalJSON(entry.Policy); err != nil {
					var d *tlsrpt.Diagnostic
					if !errors.As(err, &d) || !repairable[d.Code] || d.Path == "" {
						t.Fatalf("policies[%d]: strict decoding failed without a known deviation: %v", i, err)
					}
					if p, err = looseDecode(entry.Policy); err != nil {
						t.Fatalf("policies[%d]: %v", i, err)
					}
				}
				counts[p.Type]++
				enc, _ := p.MarshalJSON()
				var q Policy
				if err := q.UnmarshalJSON(enc); err != nil || p.Key() != q.Key() {
					t.Fatalf("policies[%d]: canonical round trip failed: %v\n%s", i, err, enc)
				}
				switch p.Type {
				case TypeSTS:
					if len(p.Strings) == 0 {
						continue // Mail.ru and Microsoft fetch-error shapes
					}
					sts, err := p.STS()
					if err != nil {
						t.Fatalf("policies[%d]: sts policy-string does not parse: %v", i, err)
					}
					if len(p.MXHosts) > 0 && !strings.HasPrefix(p.MXHosts[0], "mx: ") {
						for _, m := range p.MXHosts {
							if !containsFold(sts.MX, m) {
								t.Errorf("policies[%d]: mx-host %q is not among the policy's mx %q", i, m, sts.MX)
							}
						}
					}
					text, err := FromSTSText(p.Domain, strings.Join(p.Strings, "\n"))
					if err != nil || !equalStrings(text.Strings, p.Strings) {
						t.Errorf("policies[%d]: FromSTSText does not reproduce policy-string: %v", i, err)
					}
				case TypeTLSA:
					rrs, err := p.TLSARecords()
					if err != nil {
						t.Fatalf("policies[%d]: tlsa policy-string: %v", i, err)
					}
					if len(rrs) == 0 {
						t.Fatalf("policies[%d]: no TLSA records", i)
					}
					rebuilt, err := FromTLSA(p.Domain, rrs)
					if err != nil {
						t.Fatal(err)
					}
					if doubleEncoded := strings.HasPrefix(p.Strings[0], "["); !doubleEncoded && rebuilt.Key() != p.Key() {
						t.Errorf("policies[%d]: FromTLSA of the parsed RRs does not have the Key of the report's policy", i)
					}
				}
			}
		})
	}
	if ran == len(files) && (counts[TypeSTS] == 0 || counts[TypeTLSA] == 0 || counts[TypeNoPolicyFound] == 0) {
		t.Errorf("corpus coverage changed: %v", counts)
	}
}

// repairable are the codes of the shape deviations real senders make,
// which package report's lenient Decoder repairs.
var repairable = map[tlsrpt.Code]bool{
	codeMXHostString: true, codePolicyStringString: true, codeNullMember: true,
	codeMissingMember: true, codeUnknownMember: true,
}

// looseDecode reads a policy object the way the corpus tests need it:
// string or array of strings, null and missing members as empty, unknown
// members skipped. Package report's Decoder does this (and more) for real.
func looseDecode(data []byte) (Policy, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return Policy{}, err
	}
	strs := func(name string) ([]string, error) {
		raw, ok := m[name]
		if !ok || string(raw) == "null" {
			return nil, nil
		}
		var one string
		if json.Unmarshal(raw, &one) == nil {
			return []string{one}, nil
		}
		var many []string
		err := json.Unmarshal(raw, &many)
		return many, err
	}
	var p Policy
	var err error
	if p.Strings, err = strs("policy-string"); err != nil {
		return p, err
	}
	if p.MXHosts, err = strs("mx-host"); err != nil {
		return p, err
	}
	for name, dst := range map[string]*string{"policy-type": (*string)(&p.Type), "policy-domain": &p.Domain} {
		if ss, err := strs(name); err != nil || len(ss) > 1 {
			return p, fmt.Errorf("%s: %v", name, err)
		} else if len(ss) == 1 {
			*dst = ss[0]
		}
	}
	return p, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
