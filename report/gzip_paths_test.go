package report

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// decodeStreamed decodes data through compress/gzip and the stream path
// only, as Decode did before gzip reports were inflated in memory.
func decodeStreamed(d *Decoder, data []byte) (*Report, []Warning, error) {
	s := getDecodeState(d)
	defer s.release()
	s.gzTried = true
	return s.decodeStream(bytes.NewReader(data))
}

// sameResult fails t unless two decodes gave the same report, warnings
// and error text.
func sameResult(t *testing.T, what string, rep1 *Report, w1 []Warning, err1 error, rep2 *Report, w2 []Warning, err2 error) {
	t.Helper()
	if fmt.Sprint(err1) != fmt.Sprint(err2) {
		t.Fatalf("%s: error %v, streamed %v", what, err1, err2)
	}
	if diff := cmp.Diff(rep2, rep1, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Fatalf("%s: report (-streamed +in memory):\n%s", what, diff)
	}
	if diff := cmp.Diff(w2, w1); diff != "" {
		t.Fatalf("%s: warnings (-streamed +in memory):\n%s", what, diff)
	}
}

// TestGzipInMemoryMatchesStream checks that inflating a gzip report in
// memory gives exactly what streaming it gives: reports, warnings with
// their offsets, and errors (damaged gzip falls back to the stream path,
// whose compress/gzip errors callers may match).
func TestGzipInMemoryMatchesStream(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	inputs := map[string][]byte{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		plain := readFixture(t, name)
		gz := gzipped(t, plain, gzip.Header{})
		inputs[name] = gz
		inputs[name+"/bom"] = gzipped(t, append([]byte("\ufeff"), plain...), gzip.Header{})
		inputs[name+"/two members"] = append(gzipped(t, plain[:len(plain)/2], gzip.Header{}), gzipped(t, plain[len(plain)/2:], gzip.Header{})...)
		inputs[name+"/truncated"] = gz[:len(gz)-3]
		inputs[name+"/garbage after"] = append(bytes.Clone(gz), "x"...)
		bad := bytes.Clone(gz)
		bad[len(bad)-6] ^= 0xff
		inputs[name+"/bad crc"] = bad
	}
	inputs["large"] = gzipped(t, genLargeReport(3000), gzip.Header{})
	inputs["bomb"] = gzipped(t, []byte(`{"organization-name":"`+strings.Repeat(" ", 4<<20)), gzip.Header{})
	for name, in := range inputs {
		for _, d := range []*Decoder{{}, {Strict: true}, {MaxSize: 2000}} {
			what := fmt.Sprintf("%s (strict %v, max %d)", name, d.Strict, d.MaxSize)
			wantRep, wantW, wantErr := decodeStreamed(d, in)
			rep, w, err := d.decodeBytes(in)
			sameResult(t, what+" bytes", rep, w, err, wantRep, wantW, wantErr)
			rep, w, err = d.Decode(bytes.NewBuffer(bytes.Clone(in)))
			sameResult(t, what+" buffer", rep, w, err, wantRep, wantW, wantErr)
			rep, w, err = d.Decode(bytes.NewReader(in))
			sameResult(t, what+" reader", rep, w, err, wantRep, wantW, wantErr)
		}
	}
}

// TestGzipInMemoryBound: a gzip bomb held in memory is inflated in memory
// only up to maxInflateRatio times its size, then streamed, where the
// token cap stops it; its cost stays within that bound.
func TestGzipInMemoryBound(t *testing.T) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write([]byte(`{"organization-name":"x",`))
	spaces := bytes.Repeat([]byte(" "), 1<<20)
	for range 30 {
		zw.Write(spaces)
	}
	zw.Close()
	bomb := b.Bytes()
	allocs := func(decode func() error) (uint64, error) {
		runtime.GC()
		runtime.GC() // and the pool's victim cache: both start cold
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := decode()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, err
	}
	streamed, err := allocs(func() error { _, _, err := decodeStreamed(&Decoder{}, bomb); return err })
	if !errors.Is(err, errTokenTooLarge) {
		t.Fatalf("streamed: got %v, want the token cap", err)
	}
	alloc, err := allocs(func() error { _, _, err := Parse(bomb); return err })
	if !errors.Is(err, errTokenTooLarge) {
		t.Fatalf("got %v, want the token cap", err)
	}
	// The in-memory attempt adds at most its bound (plus the inflater's
	// tables and some slack) to what streaming costs.
	bound := streamed + uint64(maxInflateRatio*len(bomb)) + 256<<10
	if alloc > bound {
		t.Errorf("allocated %d KiB for a %d KiB bomb, streaming it %d KiB, bound %d KiB", alloc>>10, len(bomb)>>10, streamed>>10, bound>>10)
	}
	t.Logf("%d KiB bomb: %v, %d KiB allocated (streamed: %d KiB)", len(bomb)>>10, err, alloc>>10, streamed>>10)
}

// FuzzDecodeGzip compresses arbitrary JSON text and checks that the gzip
// report decodes exactly as the text does (report, warnings with their
// offsets, errors), whether inflated in memory or streamed, leniently and
// strictly: gzip changes nothing but the bytes on the wire (RFC 8460
// §5.3). Plain mutations of gzip input rarely get past its CRC; this
// reaches the decoder with valid gzip of every text FuzzDecode tries.
func FuzzDecodeGzip(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		f.Add(readFixture(f, strings.TrimSuffix(filepath.Base(file), ".json")))
	}
	f.Add([]byte(benchTypical))
	f.Fuzz(func(t *testing.T, text []byte) {
		gz := gzipped(t, text, gzip.Header{})
		for _, d := range []*Decoder{{MaxSize: fuzzMaxSize}, {Strict: true, MaxSize: fuzzMaxSize}} {
			rep, w, err := d.decodeBytes(text)
			grep, gw, gerr := d.decodeBytes(gz)
			if (err == nil) != (gerr == nil) || errors.Is(err, ErrTooLarge) != errors.Is(gerr, ErrTooLarge) {
				t.Fatalf("strict %v: JSON error %v, gzip error %v", d.Strict, err, gerr)
			}
			if err == nil {
				if diff := cmp.Diff(rep, grep, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
					t.Fatalf("strict %v: report (-JSON +gzip):\n%s", d.Strict, diff)
				}
				if diff := cmp.Diff(w, gw); diff != "" {
					t.Fatalf("strict %v: warnings (-JSON +gzip):\n%s", d.Strict, diff)
				}
			}
			srep, sw, serr := decodeStreamed(d, gz)
			sameResult(t, "gzip", grep, gw, gerr, srep, sw, serr)
		}
	})
}
