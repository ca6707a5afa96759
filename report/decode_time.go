package report

import (
	"time"
)

// timeLayout is the canonical date-time form: RFC 3339 §5.6 in UTC with
// "Z", fractional seconds only when not zero.
const timeLayout = time.RFC3339Nano

// dateTime reads a date-time member (RFC 3339 §5.6); set is false when
// it was null (treated as absent).
func (s *decodeState) dateTime() (t time.Time, set bool, err error) {
	v, err := s.readScalar()
	if err != nil {
		return time.Time{}, false, err
	}
	off := s.offset(v)
	switch v[0] {
	case '"':
	case 'n':
		return time.Time{}, false, s.deviate(CodeNullMember, off, func() string { return "null value; treated as absent" })
	default:
		return time.Time{}, false, s.fail(CodeWrongType, off, "got "+kindName(v.Kind())+", want a string")
	}
	b := s.unquote(&s.valBuf, v)
	t, noZone, ok := parseDateTime(b)
	if !ok {
		return time.Time{}, true, s.fail(CodeInvalidDateTime, off, "date-time "+quoteShort(b)+" is not RFC 3339")
	}
	if noZone {
		// QUIRK(Microsoft): "2023-01-10T00:00:00", no time zone (RFC 3339 §5.6
		// requires one); RFC 8460 §4.4 wants UTC.
		return t, true, s.deviate(CodeDateTimeNoZone, off, func() string { return s.quotedMsg("date-time ", string(b), " has no time zone; UTC assumed") })
	}
	return t, true, nil
}

// parseDateTime parses an RFC 3339 §5.6 date-time ('T'/'t', 'Z'/'z' or
// numeric offset, optional fraction) into UTC. A missing offset is
// accepted and reported by noZone.
func parseDateTime(b []byte) (t time.Time, noZone, ok bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false, false
	}
	c, y, month, day := digits2(b, 0), digits2(b, 2), digits2(b, 5), digits2(b, 8)
	hour, min, sec := digits2(b, 11), digits2(b, 14), digits2(b, 17)
	year := c*100 + y
	if c|y|month|day|hour|min|sec < 0 || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, false, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		scale := 100000000
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			nsec += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return time.Time{}, false, false
		}
		rest = rest[i:]
	}
	var offset int
	switch {
	case len(rest) == 0:
		noZone = true
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := num(rest[1:3])
		om, okm := num(rest[4:6])
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, false, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false, false
	}
	// time.Date(year, month, day, hour, min, sec, nsec, time.UTC) for a
	// valid date, without its normalising (TestUnixDays).
	t = time.Unix(unixDays(year, month, day)*86400+int64(hour*3600+min*60+sec), int64(nsec)).UTC()
	if offset != 0 {
		t = t.Add(-time.Duration(offset) * time.Second)
		if y := t.Year(); y < 0 || y > 9999 {
			return time.Time{}, false, false // not representable in UTC
		}
	}
	return t, noZone, true
}

// unixDays returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date (month 1 to 12, day within it), negative
// before it (H. Hinnant's days_from_civil).
func unixDays(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400     // [0, 399]
	mp := int64(month + 9) // March is 0
	if month > 2 {
		mp = int64(month - 3)
	}
	doy := (153*mp+2)/5 + int64(day) - 1   // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468
}

// digits2 returns the number of the two decimal digits at b[i:], -1 if
// they are not digits.
func digits2(b []byte, i int) int {
	hi, lo := b[i]-'0', b[i+1]-'0'
	if hi > 9 || lo > 9 {
		return -1
	}
	return int(hi)*10 + int(lo)
}

func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 31 - int((m-1)%7%2)
}
