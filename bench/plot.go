package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Plot geometry, in SVG user units.
const (
	plotWidth   = 960
	panelHeight = 250
	marginLeft  = 80
	marginRight = 150
	marginTop   = 50
	panelGap    = 70
)

// WriteSVG renders a run's time series as two panels over the same time
// axis: attempts/s (and won/s) on a linear scale, and p50/p99/max latency
// on a log scale, since a burst's tail is decades above its median.
func WriteSVG(w io.Writer, rows []SeriesRow, title string) error {
	var b strings.Builder
	top, bottom := startPlot(&b, title, rows)
	top.line(rows, func(r SeriesRow) float64 { return r.PerSecond }, "#1f77b4", "", "attempts/s", 0)
	top.line(rows, func(r SeriesRow) float64 { return r.WonPerSec }, "#2ca02c", "", "won/s", 1)
	bottom.line(rows, func(r SeriesRow) float64 { return r.P50Ms }, "#1f77b4", "", "p50", 0)
	bottom.line(rows, func(r SeriesRow) float64 { return r.P99Ms }, "#ff7f0e", "", "p99", 1)
	bottom.line(rows, func(r SeriesRow) float64 { return r.MaxMs }, "#7f7f7f", "4 3", "max", 2)
	return endPlot(w, &b)
}

// NamedSeries is one run's time series with the name its lines carry.
type NamedSeries struct {
	Name string
	Rows []SeriesRow
}

// compareColors tell runs apart; a plot compares at most this many.
var compareColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"}

// WriteCompareSVG renders several runs over the same axes: each run's
// attempts/s on the linear panel, and its p99 (solid) and max (dashed)
// latency on the log panel, one color per run.
func WriteCompareSVG(w io.Writer, runs []NamedSeries, title string) error {
	if len(runs) == 0 || len(runs) > len(compareColors) {
		return fmt.Errorf("bench: compare plot takes 1 to %d runs, not %d", len(compareColors), len(runs))
	}
	var b strings.Builder
	var all []SeriesRow
	for _, r := range runs {
		all = append(all, r.Rows...)
	}
	top, bottom := startPlot(&b, title, all)
	for i, r := range runs {
		c := compareColors[i]
		top.line(r.Rows, func(r SeriesRow) float64 { return r.PerSecond }, c, "", r.Name, i)
		bottom.line(r.Rows, func(r SeriesRow) float64 { return r.P99Ms }, c, "", r.Name+" p99", 2*i)
		bottom.line(r.Rows, func(r SeriesRow) float64 { return r.MaxMs }, c, "4 3", r.Name+" max", 2*i+1)
	}
	return endPlot(w, &b)
}

// startPlot writes the SVG head, the title and both panels' frames, scaled
// to fit every row given, and returns the panels to draw lines on.
func startPlot(b *strings.Builder, title string, rows []SeriesRow) (top, bottom *panel) {
	height := plotHeight()
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		plotWidth, height, plotWidth, height)
	fmt.Fprintf(b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(b, `<text x="%d" y="24" font-size="16">%s</text>`+"\n", marginLeft, html.EscapeString(title))
	tMax := 0.1
	for _, r := range rows {
		tMax = max(tMax, r.Seconds+0.1)
	}
	rateMax := 1.0
	latMax, latMin := 1.0, math.Inf(1)
	for _, r := range rows {
		rateMax = max(rateMax, r.PerSecond)
		latMax = max(latMax, r.MaxMs, r.P99Ms)
		if r.P50Ms > 0 {
			latMin = min(latMin, r.P50Ms)
		}
	}
	// The latency axis starts at the decade below the lowest median.
	latFloor := 0.1
	if !math.IsInf(latMin, 1) {
		latFloor = math.Pow(10, math.Floor(math.Log10(latMin)))
	}
	x := func(t float64) float64 { return marginLeft + t/tMax*(plotWidth-marginLeft-marginRight) }

	top = &panel{b: b, top: marginTop, x: x, tMax: tMax, yMax: niceCeil(rateMax), label: "attempts/s"}
	top.frame()
	bottom = &panel{b: b, top: marginTop + panelHeight + panelGap, x: x, tMax: tMax, log: true,
		yMin: latFloor, yMax: math.Pow(10, math.Ceil(math.Log10(latMax))), label: "latency (ms, log)"}
	bottom.frame()
	return top, bottom
}

func plotHeight() int { return marginTop + 2*panelHeight + panelGap + 50 }

// endPlot writes the time axis's label, closes the SVG and writes it out.
func endPlot(w io.Writer, b *strings.Builder) error {
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">seconds since the start (a burst: since it fired)</text>`+"\n",
		(marginLeft+plotWidth-marginRight)/2, plotHeight()-12)
	b.WriteString("</svg>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("bench: write svg: %w", err)
	}
	return nil
}

// panel is one chart: a frame, axes with ticks, and lines.
type panel struct {
	b          *strings.Builder
	top        int
	x          func(float64) float64
	tMax       float64
	yMin, yMax float64
	log        bool
	label      string
}

func (p *panel) y(v float64) float64 {
	bottom := float64(p.top + panelHeight)
	if p.log {
		v = max(v, p.yMin)
		f := (math.Log10(v) - math.Log10(p.yMin)) / (math.Log10(p.yMax) - math.Log10(p.yMin))
		return bottom - f*panelHeight
	}
	return bottom - v/p.yMax*panelHeight
}

func (p *panel) frame() {
	b := p.b
	left, right := float64(marginLeft), float64(plotWidth-marginRight)
	fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="none" stroke="#333"/>`+"\n", left, p.top, right-left, panelHeight)
	fmt.Fprintf(b, `<text x="18" y="%d" transform="rotate(-90 18 %d)" text-anchor="middle">%s</text>`+"\n",
		p.top+panelHeight/2, p.top+panelHeight/2, html.EscapeString(p.label))
	var ticks []float64
	if p.log {
		for v := p.yMin; v <= p.yMax*1.001; v *= 10 {
			ticks = append(ticks, v)
		}
	} else {
		for i := 0; i <= 5; i++ {
			ticks = append(ticks, p.yMax*float64(i)/5)
		}
	}
	for _, v := range ticks {
		y := p.y(v)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, y, right, y)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y+4, tickLabel(v))
	}
	step := niceCeil(p.tMax / 10)
	for t := 0.0; t <= p.tMax; t += step {
		xx := p.x(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333"/>`+"\n", xx, p.top+panelHeight, xx, p.top+panelHeight+5)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", xx, p.top+panelHeight+18, tickLabel(t))
	}
}

// line draws one series; a window without answers breaks it rather than
// dragging it to zero, except on the linear panel where zero is the truth.
func (p *panel) line(rows []SeriesRow, val func(SeriesRow) float64, color, dash, name string, legend int) {
	b := p.b
	var pts []string
	flush := func() {
		if len(pts) > 1 {
			extra := ""
			if dash != "" {
				extra = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
			}
			fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>`+"\n", color, extra, strings.Join(pts, " "))
		}
		pts = pts[:0]
	}
	for _, r := range rows {
		v := val(r)
		if p.log && v <= 0 {
			flush()
			continue
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x(r.Seconds), p.y(v)))
	}
	flush()
	lx, ly := plotWidth-marginRight+15, p.top+20+legend*20
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", lx, ly, lx+25, ly, color)
	fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", lx+30, ly+4, html.EscapeString(name))
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*e {
			return m * e
		}
	}
	return 10 * e
}

func tickLabel(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%gk", v/1e3)
	}
	return fmt.Sprintf("%g", math.Round(v*1000)/1000)
}
