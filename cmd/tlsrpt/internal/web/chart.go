package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/store"
)

// bucket is one bar of a time chart: a day, a week or a month.
type bucket struct {
	Start, End time.Time // [Start, End)
	Label      string
	store.Totals
	// Domains is the number of distinct policy domains with reports.
	Domains int
	domains map[string]bool
}

// RatePercent is the failure rate in percent.
func (b *bucket) RatePercent() float64 { return 100 * b.FailureRate() }

// buckets groups the per-day, per-domain totals of a summary into
// consecutive buckets covering [since, until) — or the days present when
// the window is unbounded —, by day up to 92 days, by week (starting on
// Monday) up to two years, by month beyond.
func buckets(days []store.DayTotals, since, until time.Time) (unit string, out []*bucket) {
	if since.IsZero() || until.IsZero() {
		// Unbounded: from the first day with reports to the last (Days
		// are ordered by day).
		var first, last time.Time
		for _, d := range days {
			t, err := time.Parse(time.DateOnly, d.Day)
			if err != nil {
				continue
			}
			if first.IsZero() {
				first = t
			}
			last = t
		}
		if first.IsZero() {
			return "day", nil
		}
		if since.IsZero() {
			since = first
		}
		if until.IsZero() {
			until = last.AddDate(0, 0, 1)
		}
	}
	span := until.Sub(since)
	step := func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	start := since.UTC().Truncate(24 * time.Hour)
	unit = "day"
	label := func(t time.Time) string { return t.Format(time.DateOnly) }
	switch {
	case span > 2*366*24*time.Hour:
		unit = "month"
		start = time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
		step = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
		label = func(t time.Time) string { return t.Format("2006-01") }
	case span > 92*24*time.Hour:
		unit = "week"
		start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7))
		step = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	}
	for t := start; t.Before(until); t = step(t) {
		out = append(out, &bucket{Start: t, End: step(t), Label: label(t), domains: map[string]bool{}})
		if len(out) > 5000 {
			break // a window of centuries: not drawn further
		}
	}
	i := 0
	for _, d := range days {
		t, err := time.Parse(time.DateOnly, d.Day)
		if err != nil {
			continue
		}
		for i < len(out) && !t.Before(out[i].End) {
			i++
		}
		if i == len(out) {
			break
		}
		if t.Before(out[i].Start) {
			continue
		}
		b := out[i]
		b.Reports += d.Reports
		b.Successful += d.Successful
		b.Failed += d.Failed
		if !b.domains[d.Domain] {
			b.domains[d.Domain] = true
			b.Domains++
		}
	}
	return unit, out
}

// chart is an SVG chart drawn on the server: bars (stacked in up to two
// series) and an optional line, with axes and a <title> per bucket.
type chart struct {
	ID, Title   string
	Width       int
	Height      int
	Left, Right float64 // plot area, in viewBox units
	Top, Bottom float64
	Groups      []chartGroup
	YTicks      []tick
	XTicks      []tick
	Line        string // polyline points, empty for none
	Dots        []dot
	Legend      []legend
	Empty       bool
}

type chartGroup struct {
	Title string
	// X, W are the slot of the bucket (the hover area).
	X, W float64
	Bars []rect
}

type rect struct {
	X, Y, W, H float64
	Class      string
}

type dot struct {
	X, Y  float64
	Title string
}

type tick struct {
	Pos   float64
	Label string
}

type legend struct{ Class, Label string }

// F formats a coordinate for an SVG attribute.
func (chart) F(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// LabelX is the x of the y axis labels.
func (c *chart) LabelX() string { return c.F(c.Left - 6) }

// LabelY is the y of the x axis labels.
func (c *chart) LabelY() string { return c.F(c.Bottom + 18) }

// PlotH is the height of the plot area.
func (c *chart) PlotH() string { return c.F(c.Bottom - c.Top) }

// newChart lays out the plot area of a chart of n buckets.
func newChart(id, title string, n int) *chart {
	c := &chart{ID: id, Title: title, Width: 720, Height: 240, Left: 56, Right: 704, Top: 16, Bottom: 208}
	c.Empty = n == 0
	return c
}

// slot returns the x and width of bucket i of n.
func (c *chart) slot(i, n int) (x, w float64) {
	w = (c.Right - c.Left) / float64(n)
	return c.Left + float64(i)*w, w
}

// y maps v of [0, max] to the plot area.
func (c *chart) y(v, max float64) float64 {
	if max <= 0 {
		return c.Bottom
	}
	return c.Bottom - (c.Bottom-c.Top)*v/max
}

// xTicks labels at most 8 buckets, evenly spread.
func (c *chart) xTicks(bs []*bucket) {
	n := len(bs)
	every := max(1, (n+7)/8)
	for i := 0; i < n; i += every {
		x, w := c.slot(i, n)
		c.XTicks = append(c.XTicks, tick{Pos: x + w/2, Label: bs[i].Label})
	}
}

// niceMax returns a round upper bound of the y axis at or above v and
// its tick step: 1, 2 or 5 times a power of ten, four or five ticks.
func niceMax(v float64) (top, step float64) {
	if v <= 0 {
		return 1, 0.25
	}
	raw := v / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw {
			step = m * p
			break
		}
	}
	return step * math.Ceil(v/step), step
}

func (c *chart) yTicks(top, step float64, format func(float64) string) {
	for v := 0.0; v <= top+step/2; v += step {
		c.YTicks = append(c.YTicks, tick{Pos: c.y(v, top), Label: format(v)})
	}
}

// sessionsChart draws the successful and failed sessions of each bucket
// as stacked bars.
func sessionsChart(bs []*bucket, unit string) *chart {
	c := newChart("chart-sessions", "Sessions per "+unit+": successful and failed", len(bs))
	c.Legend = []legend{{"ok", "successful"}, {"fail", "failed"}}
	var m float64
	for _, b := range bs {
		m = max(m, float64(b.Sessions()))
	}
	top, step := niceMax(m)
	c.yTicks(top, step, func(v float64) string { return compact(v) })
	for i, b := range bs {
		x, w := c.slot(i, len(bs))
		bw := min(max(w*0.8, 0.5), 48)
		bx := x + (w-bw)/2
		ys := c.y(float64(b.Successful), top)
		yf := c.y(float64(b.Sessions()), top)
		g := chartGroup{X: x, W: w, Title: fmt.Sprintf("%s: %s sessions, %s successful, %s failed (%s)",
			b.Label, Num(b.Sessions()), Num(b.Successful), Num(b.Failed), Percent(b.RatePercent()))}
		g.Bars = append(g.Bars, rect{X: bx, Y: ys, W: bw, H: c.Bottom - ys, Class: "ok"})
		if b.Failed > 0 {
			g.Bars = append(g.Bars, rect{X: bx, Y: yf, W: bw, H: max(ys-yf, 1), Class: "fail"})
		}
		c.Groups = append(c.Groups, g)
	}
	c.xTicks(bs)
	return c
}

// rateChart draws the failure rate of each bucket as a line.
func rateChart(bs []*bucket, unit string) *chart {
	c := newChart("chart-rate", "Failure rate per "+unit+", percent of sessions", len(bs))
	c.Legend = []legend{{"rate", "failure rate"}}
	var m float64
	for _, b := range bs {
		m = max(m, b.RatePercent())
	}
	top, step := niceMax(max(m, 1))
	c.yTicks(top, step, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + "%" })
	var pts []string
	for i, b := range bs {
		x, w := c.slot(i, len(bs))
		title := b.Label + ": no sessions"
		if b.Sessions() > 0 {
			title = fmt.Sprintf("%s: %s failed of %s sessions", b.Label, Percent(b.RatePercent()), Num(b.Sessions()))
		}
		c.Groups = append(c.Groups, chartGroup{X: x, W: w, Title: title})
		if b.Sessions() == 0 {
			continue
		}
		y := c.y(b.RatePercent(), top)
		pts = append(pts, c.F(x+w/2)+","+c.F(y))
		c.Dots = append(c.Dots, dot{X: x + w/2, Y: y, Title: title})
	}
	c.Line = strings.Join(pts, " ")
	c.xTicks(bs)
	return c
}

// domainsChart draws the number of policy domains with reports, and
// the reports, per bucket.
func domainsChart(bs []*bucket, unit string) *chart {
	c := newChart("chart-domains", "Policy domains reported on per "+unit, len(bs))
	c.Legend = []legend{{"dom", "domains"}}
	var m float64
	for _, b := range bs {
		m = max(m, float64(b.Domains))
	}
	top, step := niceMax(m)
	if step < 1 {
		top, step = max(top, 1), 1
		top = math.Ceil(top)
	}
	c.yTicks(top, step, func(v float64) string { return compact(v) })
	for i, b := range bs {
		x, w := c.slot(i, len(bs))
		bw := min(max(w*0.8, 0.5), 48)
		y := c.y(float64(b.Domains), top)
		c.Groups = append(c.Groups, chartGroup{X: x, W: w,
			Title: fmt.Sprintf("%s: %d domains, %s reports", b.Label, b.Domains, Num(b.Reports)),
			Bars:  []rect{{X: x + (w-bw)/2, Y: y, W: bw, H: c.Bottom - y, Class: "dom"}}})
	}
	c.xTicks(bs)
	return c
}

// compact formats an axis value: 950, 1.5k, 2M.
func compact(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Num formats n with thousands separators: 1,234,567.
func Num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Percent formats a percentage with two decimals.
func Percent(p float64) string { return strconv.FormatFloat(p, 'f', 2, 64) + "%" }
