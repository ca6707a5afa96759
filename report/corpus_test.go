package report

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/corpus"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestCorpus decodes every report of the shared corpus. Lenient: all
// decode. Strict: fails exactly on the files that produced warnings, at
// the first warning's path. The warnings of every file are compared with
// testdata/golden/corpus-warnings.txt, so any change in what is repaired
// shows up; the repaired report must re-encode to bytes the strict decoder
// accepts.
func TestCorpus(t *testing.T) {
	files := corpus.Files(t, "reports", "*")
	var summary strings.Builder
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rep, warns, err := Parse(data)
		if err != nil {
			t.Errorf("%s: lenient: %v", name, err)
			continue
		}
		summary.WriteString(name + "\n")
		for _, w := range warns {
			summary.WriteString("\t" + w.Path + " [" + string(w.Code) + "]\n")
		}

		_, _, serr := (&Decoder{Strict: true}).Decode(bytes.NewReader(data))
		switch {
		case len(warns) == 0 && serr != nil:
			t.Errorf("%s: no warnings but strict fails: %v", name, serr)
		case len(warns) > 0:
			var de *tlsrpt.Diagnostic
			if !errors.As(serr, &de) {
				t.Errorf("%s: %d warnings but strict gives %v", name, len(warns), serr)
			} else if de.Path != warns[0].Path || de.Code != warns[0].Code {
				t.Errorf("%s: strict error %v, first warning %v", name, de, warns[0])
			}
		}

		out, err := rep.MarshalJSON()
		if err != nil {
			t.Errorf("%s: encode: %v", name, err)
			continue
		}
		back, _, err := (&Decoder{Strict: true}).Decode(bytes.NewReader(out))
		if err != nil {
			t.Errorf("%s: strict decode of the re-encoding: %v", name, err)
			continue
		}
		if diff := cmp.Diff(rep, back, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
			t.Errorf("%s: re-encoding decodes differently (-want +got):\n%s", name, diff)
		}
	}
	checkGolden(t, filepath.Join("testdata", "golden", "corpus-warnings.txt"), []byte(summary.String()))
}
