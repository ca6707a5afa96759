package submit

import "testing"

// BenchmarkEncode measures building the HTTPS body (canonical JSON and
// gzip).
func BenchmarkEncode(b *testing.B) {
	d := &Deliverer{}
	rep := testReport()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.encode(rep); err != nil {
			b.Fatal(err)
		}
	}
}
