package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/go-tlsrpt/tlsrpt"
	"github.com/go-tlsrpt/tlsrpt/internal/testmail"
)

// quoteFrom matches the lines mboxrd quotes: ">*From ".
var quoteFrom = regexp.MustCompile(`(?m)^(>*From )`)

// mboxrd writes messages as an mboxrd file: a "From " separator line
// before each, ">*From " lines quoted one level more, an empty line after
// each (its line end following the message's own).
func mboxrd(msgs ...string) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		nl := "\n"
		if strings.Contains(m, "\r\n") {
			nl = "\r\n"
		}
		b.WriteString("From MAILER-DAEMON Thu Jan  1 00:00:00 1970" + nl)
		b.WriteString(quoteFrom.ReplaceAllString(m, ">$1"))
		if !strings.HasSuffix(m, "\n") {
			b.WriteString(nl)
		}
		b.WriteString(nl)
	}
	return b.Bytes()
}

// readAll returns the items of src.
func readAll(t testing.TB, src Source) []*Item {
	t.Helper()
	var items []*Item
	for {
		it, err := src.Next(context.Background())
		if err == io.EOF {
			return items
		}
		require.NoError(t, err)
		items = append(items, it)
	}
}

// withNL returns m ending in a line end, as mbox stores it.
func withNL(m string) string {
	if strings.HasSuffix(m, "\n") {
		return m
	}
	return m + "\n"
}

func TestMbox(t *testing.T) {
	msgs := []string{
		"From: a@example.net\nSubject: one\n\nbody\nFrom the start, quoted.\n>From already quoted\n",
		"From: b@example.net\r\nSubject: two CRLF\r\n\r\nline\r\n\r\nFrom here\r\n",
		"From: c@example.net\nSubject: three\n\n\n\n", // trailing empty lines are kept
		"From: d@example.net\nSubject: no final newline\n\nlast",
	}
	items := readAll(t, &Mbox{R: bytes.NewReader(mboxrd(msgs...))})
	var got []string
	for i, it := range items {
		require.NoError(t, it.Err)
		if it.ID != "#"+string(rune('1'+i)) {
			t.Errorf("id %q", it.ID)
		}
		got = append(got, string(it.Data))
	}
	want := []string{withNL(msgs[0]), withNL(msgs[1]), withNL(msgs[2]), withNL(msgs[3])}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestMboxEdges(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{name: "empty file", in: "", want: nil},
		{name: "no separator", in: "From: a@example.net\n\nbody\n", want: []string{"From: a@example.net\n\nbody\n"}},
		{name: "garbage before first separator", in: "junk\n\nFrom x\nSubject: a\n\nb\n", want: []string{"junk\n", "Subject: a\n\nb\n"}},
		{name: "From line without empty line before is body", in: "From x\nSubject: a\n\nb\nFrom y\nc\n", want: []string{"Subject: a\n\nb\nFrom y\nc\n"}},
		{name: "mboxo quoting", in: "From x\nSubject: a\n\n>From me\n", want: []string{"Subject: a\n\nFrom me\n"}},
		{name: "mboxrd double quoting", in: "From x\nSubject: a\n\n>>From me\n", want: []string{"Subject: a\n\n>From me\n"}},
		{name: "only a separator", in: "From x\n", want: []string{""}},
		{name: "two separators", in: "From x\n\nFrom y\nSubject: b\n", want: []string{"", "Subject: b\n"}},
		{name: "separator without newline at EOF", in: "From x\nS: a\n\nFrom y", want: []string{"S: a\n", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, it := range readAll(t, &Mbox{R: strings.NewReader(tt.in)}) {
				require.NoError(t, it.Err)
				got = append(got, string(it.Data))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMboxSizeCap(t *testing.T) {
	big := "Subject: big\n\n" + strings.Repeat(strings.Repeat("x", 100)+"\n", 200)
	long := "Subject: long line\n\n" + strings.Repeat("y", 200<<10) + "\n"
	in := mboxrd("Subject: small\n\nhi\n", big, long, "Subject: after\n\nok\n")
	items := readAll(t, &Mbox{R: bytes.NewReader(in), MaxMessageSize: 1000})
	require.Len(t, items, 4)
	for i, it := range items {
		tooLarge := errors.Is(it.Err, tlsrpt.ErrTooLarge)
		if want := i == 1 || i == 2; tooLarge != want {
			t.Errorf("item %d: err %v", i, it.Err)
		}
		if tooLarge && (it.Data != nil || it.Size <= 1000) {
			t.Errorf("item %d: %d bytes kept, size %d", i, len(it.Data), it.Size)
		}
	}
	if string(items[3].Data) != "Subject: after\n\nok\n" {
		t.Errorf("message after the big ones: %q", items[3].Data)
	}
}

// writeMaildir creates a Maildir under t.TempDir with the messages in
// new/ (names n0, n1, ...) and cur/ (c0:2,F, ...).
func writeMaildir(t testing.TB, newMsgs, curMsgs []string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
	}
	for i, m := range newMsgs {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "new", maildirName(i)), []byte(m), 0o644))
	}
	for i, m := range curMsgs {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cur", maildirName(i)+":2,F"), []byte(m), 0o644))
	}
	return dir
}

// maildirName is a Maildir unique name sorting in i's order.
func maildirName(i int) string {
	return "1700000000.M" + strings.Repeat("0", 6-len(itoa(i))) + itoa(i) + "P1.host"
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestMaildir(t *testing.T) {
	dir := writeMaildir(t, []string{"Subject: n0\n\n", "Subject: n1\n\n"}, []string{"Subject: c0\n\n"})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tmp", "being-delivered"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "new", ".hidden"), []byte("x"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "new", "subdir"), 0o755))
	if !IsMaildir(dir) || IsMaildir(filepath.Join(dir, "new")) {
		t.Fatal("IsMaildir")
	}
	md := &Maildir{Dir: dir}
	items := readAll(t, md)
	var ids []string
	for _, it := range items {
		require.NoError(t, it.Err)
		ids = append(ids, it.ID)
	}
	want := []string{"new/" + maildirName(0), "new/" + maildirName(1), "cur/" + maildirName(0) + ":2,F"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Fatalf("ids (-want +got):\n%s", diff)
	}
	ctx := context.Background()
	for _, id := range ids {
		require.NoError(t, md.MarkProcessed(ctx, id))
	}
	names := func(sub string) []string {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		require.NoError(t, err)
		var out []string
		for _, e := range entries {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
				out = append(out, e.Name())
			}
		}
		slices.Sort(out)
		return out
	}
	if got := names("new"); len(got) != 0 {
		t.Errorf("new/ after marking: %v", got)
	}
	wantCur := []string{maildirName(0) + ":2,FS", maildirName(0) + ":2,S", maildirName(1) + ":2,S"}
	if diff := cmp.Diff(wantCur, names("cur")); diff != "" {
		t.Errorf("cur/ (-want +got):\n%s", diff)
	}
	// Marking twice is harmless; bad ids are refused.
	require.NoError(t, md.MarkProcessed(ctx, "cur/"+maildirName(0)+":2,FS"))
	for _, bad := range []string{"tmp/x", "../x", "new/../../x", "new/", "x"} {
		if err := md.MarkProcessed(ctx, bad); err == nil {
			t.Errorf("MarkProcessed(%q) succeeded", bad)
		}
	}
	// A second run reads the marked messages from cur/.
	if items := readAll(t, &Maildir{Dir: dir}); len(items) != 3 {
		t.Errorf("second run: %d items", len(items))
	}
}

func TestMaildirVanishedAndTooLarge(t *testing.T) {
	dir := writeMaildir(t, []string{"Subject: a\n\n", strings.Repeat("x", 2000), "Subject: c\n\n"}, nil)
	md := &Maildir{Dir: dir, MaxMessageSize: 1000}
	it, err := md.Next(context.Background())
	require.NoError(t, err)
	require.NoError(t, it.Err)
	require.NoError(t, os.Remove(filepath.Join(dir, "new", maildirName(2))))
	it, err = md.Next(context.Background())
	require.NoError(t, err)
	if !errors.Is(it.Err, tlsrpt.ErrTooLarge) || it.Size != 2000 {
		t.Errorf("big message: %v size %d", it.Err, it.Size)
	}
	it, err = md.Next(context.Background())
	require.NoError(t, err)
	if !errors.Is(it.Err, fs.ErrNotExist) {
		t.Errorf("vanished message: %v", it.Err)
	}
	if _, err := md.Next(context.Background()); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	if _, err := (&Maildir{Dir: t.TempDir()}).Next(context.Background()); err == nil {
		t.Error("a directory without cur/new/tmp is a Maildir")
	}
}

func TestRunMarksFinalResults(t *testing.T) {
	flaky := newSigningKey(t, "flaky.example")
	retry := flaky.Sign(t, testmail.ReportMail(t, "flaky.example", testReport("flaky.example")), time.Time{})
	dir := writeMaildir(t, []string{newsletterMail, retry, "\x00garbage"}, nil)
	rd := &Reader{MarkProcessed: true, Resolver: dns(t, nil, "flaky.example")}
	var fates []Fate
	st, err := rd.Run(context.Background(), &Maildir{Dir: dir}, func(r *Result) error {
		fates = append(fates, r.Fate)
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, st.Check())
	if st.Messages != 3 || st.Retry != 1 || st.Other != 1 || st.Malformed != 1 {
		t.Errorf("stats %+v", st)
	}
	left, _ := os.ReadDir(filepath.Join(dir, "new"))
	if len(left) != 1 || left[0].Name() != maildirName(1) {
		t.Errorf("left in new/: %v (the retry one should stay)", left)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	require.NoError(t, os.WriteFile(p, []byte(newsletterMail), 0o644))
	items := readAll(t, &Files{Paths: []string{p, filepath.Join(dir, "missing")}})
	require.Len(t, items, 2)
	if items[0].Err != nil || items[0].ID != p || !errors.Is(items[1].Err, fs.ErrNotExist) {
		t.Errorf("items %+v %+v", items[0], items[1])
	}
	st, err := new(Reader).Run(context.Background(), &Files{Paths: []string{p, filepath.Join(dir, "missing")}}, nil)
	require.NoError(t, err)
	if st.Messages != 2 || st.Unreadable != 1 || st.NotReport != 1 {
		t.Errorf("stats %+v", st)
	}
}
