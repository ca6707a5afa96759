package policy

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
)

// TestCorpus runs every policy block of every report in the shared corpus
// through the package: JSON decode → canonical encode → decode must be
// Equal; every sts policy-string present must parse as an MTA-STS policy
// whose mx patterns agree with mx-host when it is sent; every tlsa
// policy-string must parse (Microsoft's double encoding included) and
// FromTLSA of the result must be Equal to the decoded policy.
func TestCorpus(t *testing.T) {
	dir := corpus.Dir(t, "")
	files, err := filepath.Glob(filepath.Join(dir, "reports", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no corpus reports")
	}
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
					t.Fatalf("policies[%d]: %v", i, err)
				}
				counts[p.Type]++
				enc, _ := p.MarshalJSON()
				var q Policy
				if err := q.UnmarshalJSON(enc); err != nil || !p.Equal(q) {
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
					if doubleEncoded := strings.HasPrefix(p.Strings[0], "["); !doubleEncoded && !rebuilt.Equal(p) {
						t.Errorf("policies[%d]: FromTLSA of the parsed RRs is not Equal to the report's policy", i)
					}
				}
			}
		})
	}
	if ran == len(files) && (counts[TypeSTS] == 0 || counts[TypeTLSA] == 0 || counts[TypeNoPolicyFound] == 0) {
		t.Errorf("corpus coverage changed: %v", counts)
	}
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
