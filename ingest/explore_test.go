package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-tlsrpt/tlsrpt/internal/corpus"
)

func TestExploreCorpus(t *testing.T) {
	dir := corpus.Dir(t, "emails")
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	rd := &Reader{NoDKIM: true, TrustedAuthServIDs: []string{"mx6.messagingengine.com", "komijn.test.xmox.nl", "mail.example.com"}}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		res := rd.read(context.Background(), data)
		t.Logf("%s: %s %s %v", filepath.Base(f), res.Fate, res.Kind, res.Err)
		for _, r := range res.Reports {
			t.Logf("   %s %s", r.Path, r.Trust)
		}
	}
}
