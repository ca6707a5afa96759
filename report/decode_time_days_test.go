package report

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestUnixDays checks the date-time built from unixDays against
// time.Date, which parseDateTime used before: every day of the years
// around the epoch, the ends of the range RFC 3339 allows, leap days,
// and random instants, compared as values (==, so location and
// monotonic reading too).
func TestUnixDays(t *testing.T) {
	check := func(year, month, day, hour, min, sec, nsec int) {
		t.Helper()
		want := time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC)
		got := time.Unix(unixDays(year, month, day)*86400+int64(hour*3600+min*60+sec), int64(nsec)).UTC()
		if got != want {
			t.Fatalf("%04d-%02d-%02dT%02d:%02d:%02d.%09d: got %v, want %v", year, month, day, hour, min, sec, nsec, got, want)
		}
	}
	for _, year := range []int{0, 1, 4, 99, 100, 399, 400, 401, 1600, 1899, 1900, 1969, 1970, 1971, 1972, 2000, 2024, 2100, 2400, 9998, 9999} {
		for month := 1; month <= 12; month++ {
			for day := 1; day <= daysIn(time.Month(month), year); day++ {
				check(year, month, day, 0, 0, 0, 0)
				check(year, month, day, 23, 59, 59, 999999999)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		year, month := r.IntN(10000), 1+r.IntN(12)
		check(year, month, 1+r.IntN(daysIn(time.Month(month), year)), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9))
	}
}

// TestParseDateTimeEqualsTimeParse checks parseDateTime against
// time.Parse for date-times with a zone.
func TestParseDateTimeEqualsTimeParse(t *testing.T) {
	for _, in := range []string{
		"2024-02-17T00:00:00Z", "2024-02-29T23:59:59Z", "1970-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
		"0000-03-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2023-01-10T10:00:00+02:00",
		"2023-01-10T10:00:00.5-07:30", "1969-12-31T23:59:59.25Z",
	} {
		got, noZone, ok := parseDateTime([]byte(in))
		want, err := time.Parse(time.RFC3339Nano, in)
		if err != nil || !ok || noZone {
			t.Fatalf("%s: ok %v noZone %v, time.Parse error %v", in, ok, noZone, err)
		}
		if want = want.UTC(); got != want {
			t.Errorf("%s: got %v, want %v", in, got, want)
		}
	}
}

// TestParseDateTimeRejectsNonDigits checks that parseDateTime, like
// time.Parse, rejects a date-time with any of its digits replaced by a
// byte just below or above the digits, or a letter.
func TestParseDateTimeRejectsNonDigits(t *testing.T) {
	const valid = "2024-02-17T10:20:30Z"
	for i := range len(valid) {
		if valid[i] < '0' || valid[i] > '9' {
			continue
		}
		for _, c := range []byte{'/', ':', 'a', ' '} {
			in := []byte(valid)
			in[i] = c
			if _, _, ok := parseDateTime(in); ok {
				t.Errorf("parseDateTime(%q) accepted it", in)
			}
			if _, err := time.Parse(time.RFC3339, string(in)); err == nil {
				t.Errorf("time.Parse(%q) accepted it", in)
			}
		}
	}
}
