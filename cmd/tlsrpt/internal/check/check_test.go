package check_test

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/check"
	"github.com/go-tlsrpt/tlsrpt/cmd/tlsrpt/internal/checktest"
	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
	"github.com/go-tlsrpt/tlsrpt/internal/dnstest"
	"github.com/go-tlsrpt/tlsrpt/policy"
)

// config points a check at the world w, with DNS from dns (w's own when
// nil).
func config(w *checktest.World, dns *dnstest.Server) *check.Config {
	if dns == nil {
		dns = w.DNS
	}
	return &check.Config{
		Resolver:  dns.Resolver(),
		DNS:       &policy.DNSClient{Addr: dns.Addr()},
		RootCAs:   w.Roots,
		ConnectTo: w.ConnectTo,
		Now:       func() time.Time { return checktest.Now },
		Timeout:   20 * time.Second,
	}
}

// summary lists the findings of r, one string each: where, severity,
// code, the result type and reason code senders report, "temporary".
func summary(r *check.Result) []string {
	out := []string{}
	add := func(where string, fs []check.Finding) {
		for _, f := range fs {
			s := where + " " + string(f.Severity) + " " + string(f.Code)
			if f.ResultType != "" {
				s += " " + string(f.ResultType) + "/" + f.ReasonCode
			}
			if f.Temporary {
				s += " temporary"
			}
			out = append(out, s)
		}
	}
	add("domain", r.Findings)
	add("tlsrpt", r.TLSRPT.Findings)
	add("mta-sts", r.MTASTS.Findings)
	for _, h := range r.MX {
		add("mx "+h.Host, h.Findings)
	}
	return out
}

// TestCheck checks every domain of the standard world (see
// checktest.Domains for what each shows): the verdict and every finding,
// with the result type senders would report.
func TestCheck(t *testing.T) {
	w := checktest.Standard(t)
	c := config(w, nil)
	c.Probe = true
	tests := []struct {
		domain  string
		verdict check.Verdict
		want    []string
	}{
		{"good.test", check.VerdictOK, []string{}},
		{"soon.test", check.VerdictOK, []string{
			"mta-sts info no-mta-sts",
			"mx mx.soon.test warning certificate-expires-soon",
		}},
		{"expired.test", check.VerdictProblems, []string{
			"mx mx.expired.test error certificate-expired certificate-expired/certificate-expired",
		}},
		{"selfsigned.test", check.VerdictProblems, []string{
			"mx mx.selfsigned.test error certificate-not-trusted certificate-not-trusted/self-signed-certificate",
		}},
		{"wrongname.test", check.VerdictProblems, []string{
			"mx mx.wrongname.test error certificate-host-mismatch certificate-host-mismatch/hostname-mismatch",
		}},
		{"plain.test", check.VerdictProblems, []string{
			"mta-sts warning mode-testing",
			"mx mx.plain.test error starttls-not-supported starttls-not-supported/starttls-not-offered",
		}},
		{"tlsabad.test", check.VerdictProblems, []string{
			"mta-sts info no-mta-sts",
			"mx mx.tlsabad.test error tlsa-invalid tlsa-invalid/tlsa-mismatch",
			"mx mx.tlsabad.test info dane-no-tlsrpt",
		}},
		{"apex.test", check.VerdictProblems, []string{
			"domain error nothing-published",
			"tlsrpt warning no-tlsrpt",
			"tlsrpt warning wrong-location",
			"mta-sts info no-mta-sts",
		}},
		{"typo.test", check.VerdictProblems, []string{
			"domain error nothing-published",
			"tlsrpt warning no-tlsrpt",
			"tlsrpt warning wrong-location",
			"tlsrpt warning wrong-location",
			"mta-sts info no-mta-sts",
		}},
		{"none.test", check.VerdictProblems, []string{
			"domain error nothing-published",
			"tlsrpt warning no-tlsrpt",
			"mta-sts info no-mta-sts",
		}},
		{"httponly.test", check.VerdictProblems, []string{
			"tlsrpt warning http-uri",
			"tlsrpt error no-supported-uri",
			"mta-sts info no-mta-sts",
		}},
		{"badid.test", check.VerdictProblems, []string{
			"mta-sts error record-id-invalid",
			"mta-sts error record-syntax",
		}},
		// An empty line at the end of the policy: senders skip it, so it
		// is advice, not a failure.
		{"blank.test", check.VerdictOK, []string{
			"mta-sts warning blank-line",
		}},
		{"gone.test", check.VerdictProblems, []string{
			"mta-sts error sts-policy-fetch-error sts-policy-fetch-error/http-status-404",
		}},
		{"webpki.test", check.VerdictProblems, []string{
			"mta-sts error sts-webpki-invalid sts-webpki-invalid/hostname-mismatch",
		}},
		{"uncovered.test", check.VerdictProblems, []string{
			"mta-sts error mx-not-covered",
			"mta-sts warning mx-pattern-unused",
			"mta-sts info max-age-below-week",
		}},
		{"orphan.test", check.VerdictOK, []string{
			"mta-sts info no-mta-sts",
			"mta-sts warning policy-without-record",
		}},
		{"norua.test", check.VerdictProblems, []string{
			"tlsrpt error rua-no-mail",
			"mta-sts info no-mta-sts",
		}},
		{"ruabad.test", check.VerdictProblems, []string{
			"tlsrpt error rua-unreachable",
			"tlsrpt warning rua-certificate",
			"mta-sts info no-mta-sts",
		}},
		{"noaddr.test", check.VerdictProblems, []string{
			"tlsrpt warning wrong-location",
			"mta-sts info no-mta-sts",
			"mx mx.noaddr.test error mx-no-address",
		}},
		{"servfail.test", check.VerdictIncomplete, []string{
			"tlsrpt warning dns-failure temporary",
			"mta-sts info no-mta-sts",
		}},
	}
	if len(tests) != len(checktest.Domains) {
		t.Fatalf("%d cases for %d domains", len(tests), len(checktest.Domains))
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := c.Check(context.Background(), tt.domain)
			if diff := cmp.Diff(tt.want, summary(r)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if r.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s", r.Verdict, tt.verdict)
			}
		})
	}
}

// TestCheckSeverity checks how much a problem matters with what senders
// apply, and the MX records a domain may lack, on a zone of its own that
// reuses the standard world's servers.
func TestCheckSeverity(t *testing.T) {
	w := checktest.Standard(t)
	lo := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	rua := func(d string) [][]string { return [][]string{{"v=TLSRPTv1; rua=mailto:tlsrpt@" + d}} }
	mx := func(h string) []*net.MX { return []*net.MX{{Host: h + ".", Pref: 10}} }
	z := dnstest.Start(t, dnstest.Zone{
		TXT: map[string][][]string{
			"_smtp._tls.nopolicy.test":      rua("nopolicy.test"),
			"_smtp._tls.dane.test":          rua("dane.test"),
			"_smtp._tls.mx.selfsigned.test": rua("dane.test"),
			"_smtp._tls.insecure.test":      rua("insecure.test"),
			"_smtp._tls.mx.good.test":       rua("insecure.test"),
			"_smtp._tls.strict.test":        {{"v=TLSRPTv1 ;rua=mailto:tlsrpt@strict.test"}},
			"_smtp._tls.implicit.test":      rua("implicit.test"),
			"_smtp._tls.nullmx.test":        rua("nullmx.test"),
			"_smtp._tls.nomail.test":        rua("nomail.test"),
		},
		MX: map[string][]*net.MX{
			"nopolicy.test": mx("mx.wrongname.test"), "dane.test": mx("mx.selfsigned.test"),
			"insecure.test": mx("mx.good.test"), "strict.test": mx("mx.tlsabad.test"),
			"nullmx.test": {{Host: ".", Pref: 0}},
		},
		Addr: map[string][]netip.Addr{"mx.selfsigned.test": lo, "mx.good.test": lo, "mx.wrongname.test": lo, "mx.tlsabad.test": lo, "implicit.test": lo},
		TLSA: map[string][]dnstest.TLSA{
			"_25._tcp.mx.selfsigned.test": {{Usage: 3, Selector: 1, MatchingType: 1, Data: checktest.TLSA311("mx.selfsigned.test")}},
			"_25._tcp.mx.good.test":       {{Usage: 3, Selector: 1, MatchingType: 1, Data: checktest.TLSA311("mx.good.test")}},
		},
		// _25._tcp.mx.good.test is not Secure here: no AD bit.
		Secure: map[string]bool{"_25._tcp.mx.selfsigned.test": true},
	})
	tests := []struct {
		domain  string
		noMX    bool
		verdict check.Verdict
		want    []string
		reason  string
	}{
		{"nopolicy.test", false, check.VerdictOK, []string{
			"mta-sts info no-mta-sts",
			"mx mx.wrongname.test warning certificate-host-mismatch certificate-host-mismatch/hostname-mismatch",
		}, "without MTA-STS or DANE, senders deliver over any TLS: a warning"},
		{"dane.test", false, check.VerdictOK, []string{
			"mta-sts info no-mta-sts",
			"mx mx.selfsigned.test info certificate-not-trusted certificate-not-trusted/self-signed-certificate",
		}, "a DANE-EE record with AD matches: DANE senders ignore the chain, an info"},
		{"insecure.test", false, check.VerdictOK, []string{
			"mta-sts info no-mta-sts",
			"mx mx.good.test warning tlsa-unauthenticated",
		}, "TLSA records without the AD bit: senders ignore them"},
		{"strict.test", false, check.VerdictOK, []string{
			"tlsrpt warning strict-prefix",
			"mta-sts info no-mta-sts",
		}, "whitespace before the first ; is valid by the grammar, discarded by the literal prefix rule"},
		{"implicit.test", true, check.VerdictOK, []string{
			"domain info implicit-mx",
			"mta-sts info no-mta-sts",
		}, "no MX records: the domain's own address is the MX (RFC 5321 §5.1)"},
		{"nullmx.test", false, check.VerdictOK, []string{
			"domain info null-mx",
			"mta-sts info no-mta-sts",
		}, "a null MX (RFC 7505): no mail, no MX host to check"},
		{"nomail.test", false, check.VerdictProblems, []string{
			"domain error no-mail-host",
			"mta-sts info no-mta-sts",
		}, "neither MX records nor an address"},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			c := config(w, z)
			c.NoMX = tt.noMX
			r := c.Check(context.Background(), tt.domain)
			if diff := cmp.Diff(tt.want, summary(r)); diff != "" {
				t.Errorf("%s: findings (-want +got):\n%s", tt.reason, diff)
			}
			if r.Verdict != tt.verdict {
				t.Errorf("%s: verdict %s, want %s", tt.reason, r.Verdict, tt.verdict)
			}
		})
	}

	// The DANE record that matched, and whether it was authenticated.
	r := config(w, z).Check(context.Background(), "insecure.test")
	want := &check.DANE{Name: "_25._tcp.mx.good.test", TLSA: []string{r.MX[0].Certificate.TLSA311}, Match: r.MX[0].Certificate.TLSA311}
	if diff := cmp.Diff(want, r.MX[0].DANE); diff != "" {
		t.Errorf("insecure.test DANE (-want +got):\n%s", diff)
	}
}

// TestCheckUnreachable checks that an MX host that does not answer, or
// answers nothing, is "could not check", within the timeout.
func TestCheckUnreachable(t *testing.T) {
	w := checktest.Standard(t)
	// A server that accepts connections and never greets.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	held := make(chan net.Conn, 8)
	go func() {
		for {
			conn, err := silent.Accept()
			if err != nil {
				return
			}
			held <- conn
		}
	}()
	t.Cleanup(func() {
		silent.Close()
		close(held)
		for c := range held {
			c.Close()
		}
	})
	// A port nothing listens on.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := closed.Addr().String()
	closed.Close()

	lo := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	z := dnstest.Start(t, dnstest.Zone{
		TXT:  map[string][][]string{"_smtp._tls.slow.test": {{"v=TLSRPTv1; rua=mailto:tlsrpt@slow.test"}}, "_smtp._tls.down.test": {{"v=TLSRPTv1; rua=mailto:tlsrpt@down.test"}}},
		MX:   map[string][]*net.MX{"slow.test": {{Host: "mx.slow.test.", Pref: 10}}, "down.test": {{Host: "mx.down.test.", Pref: 10}}},
		Addr: map[string][]netip.Addr{"mx.slow.test": lo, "mx.down.test": lo},
	})
	c := config(w, z)
	c.ConnectTo = map[string]string{"mx.slow.test:25": silent.Addr().String(), "mx.down.test:25": closedAddr}
	c.Timeout = 500 * time.Millisecond
	for _, tt := range []struct{ domain, want string }{
		{"slow.test", "mx mx.slow.test warning smtp-failure temporary"},
		{"down.test", "mx mx.down.test warning connect-failed temporary"},
	} {
		start := time.Now()
		r := c.Check(context.Background(), tt.domain)
		if diff := cmp.Diff([]string{"mta-sts info no-mta-sts", tt.want}, summary(r)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.domain, diff)
		}
		if r.Verdict != check.VerdictIncomplete {
			t.Errorf("%s: verdict %s", tt.domain, r.Verdict)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v with a timeout of %v", tt.domain, d, c.Timeout)
		}
	}
}

// TestCheckCorpusRecords publishes every record string of the shared
// corpus at _smtp._tls and checks that the check finds an error in the
// TLS-RPT section exactly for the records the corpus calls invalid.
func TestCheckCorpusRecords(t *testing.T) {
	f, err := os.Open(filepath.Join(corpus.Dir(t, "records"), "records.tsv"))
	require.NoError(t, err)
	defer f.Close()
	type row struct {
		txt   string
		valid bool
	}
	var rows []row
	z := dnstest.Zone{TXT: map[string][][]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		require.Len(t, cols, 3)
		if cols[1] == "unknown" {
			continue // implementations disagree; dnsrecord's tests decide
		}
		txt := unescapeTSV(cols[0])
		// TXT character-strings hold at most 255 bytes (RFC 1035 §3.3).
		var strs []string
		for s := txt; ; s = s[255:] {
			if len(s) <= 255 {
				strs = append(strs, s)
				break
			}
			strs = append(strs, s[:255])
		}
		z.TXT["_smtp._tls.r"+strconv.Itoa(len(rows))+".corpus.test"] = [][]string{strs}
		rows = append(rows, row{txt, cols[1] == "valid"})
	}
	require.NoError(t, sc.Err())
	dns := dnstest.Start(t, z)
	c := &check.Config{Resolver: dns.Resolver(), DNS: &policy.DNSClient{Addr: dns.Addr()}, NoMX: true, Timeout: 20 * time.Second}
	for i, r := range rows {
		res := c.Check(context.Background(), "r"+strconv.Itoa(i)+".corpus.test")
		hasError := false
		for _, f := range res.TLSRPT.Findings {
			hasError = hasError || f.Severity == tlsrpt.SeverityError
		}
		if diff := cmp.Diff([]string{r.txt}, res.TLSRPT.TXT); diff != "" {
			t.Errorf("%q: TXT as served (-want +got):\n%s", r.txt, diff)
		}
		if hasError == r.valid {
			t.Errorf("%q: corpus says valid=%v, check found an error: %v\n%v", r.txt, r.valid, hasError, summary(res))
		}
	}
}

// unescapeTSV undoes the escapes of records.tsv: \\ \t \r \n.
func unescapeTSV(s string) string {
	r := strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\r`, "\r", `\n`, "\n")
	return r.Replace(s)
}
