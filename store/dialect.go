package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sqliteTime is how times are stored in SQLite: RFC 3339 in UTC with a
// fixed six-digit fraction, so that text order is time order and SQLite's
// date functions read it. PostgreSQL stores TIMESTAMPTZ, also to the
// microsecond.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// timeArg returns t as the dialect stores it, truncated to the
// microsecond.
func timeArg(d Dialect, t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d == DialectSQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// timeScan reads a time column whatever the driver hands over: a
// time.Time (PostgreSQL drivers) or text (SQLite).
type timeScan struct{ t *time.Time }

// Scan implements sql.Scanner.
func (s timeScan) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		*s.t = v.UTC()
		return nil
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	}
	return fmt.Errorf("store: cannot read a time from %T", v)
}

func (s timeScan) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("store: stored time: %w", err)
	}
	*s.t = t.UTC()
	return nil
}

// rebind rewrites the "?" placeholders of q as "$1", "$2", … for
// PostgreSQL. The store's queries hold no "?" inside literals.
func rebind(d Dialect, q string) string {
	if d != DialectPostgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
