// Command plot draws docs/benchmarks.svg from the JSON make bench writes: convergence time of the
// manager and of the floor, and the manager's peak memory, against the number of objects.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
)

type result struct {
	Objects         int     `json:"objects"`
	FloorSeconds    float64 `json:"floorSeconds"`
	ConvergeSeconds float64 `json:"convergeSeconds"`
	PeakRSSMiB      float64 `json:"peakRSSMiB"`
}

func main() {
	in := flag.String("in", "bin/bench/results.json", "Results of make bench.")
	out := flag.String("out", "docs/benchmarks.svg", "SVG to write.")
	flag.Parse()
	b, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var doc struct {
		Date    string   `json:"date"`
		Results []result `json:"results"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Results) == 0 {
		fmt.Fprintln(os.Stderr, "no results in", *in, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, []byte(svg(doc.Date, doc.Results)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const w, h, left, right, top, bottom = 720.0, 360.0, 60.0, 60.0, 40.0, 50.0

func svg(date string, rs []result) string {
	maxN, maxT, maxM := 0.0, 0.0, 0.0
	for _, r := range rs {
		maxN = max(maxN, float64(r.Objects))
		maxT = max(maxT, r.ConvergeSeconds, timeTarget*r.FloorSeconds)
		maxM = max(maxM, r.PeakRSSMiB, memoryTarget(r.Objects))
	}
	x := func(n int) float64 { return left + float64(n)/maxN*(w-left-right) }
	yT := func(t float64) float64 { return h - bottom - t/maxT*(h-top-bottom) }
	yM := func(m float64) float64 { return h - bottom - m/maxM*(h-top-bottom) }
	line := func(color string, pt func(r result) (float64, float64)) string {
		pts := make([]string, 0, len(rs))
		var dots strings.Builder
		for _, r := range rs {
			px, py := pt(r)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, py))
			fmt.Fprintf(&dots, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, px, py, color)
		}
		return fmt.Sprintf(`<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>%s`, color, strings.Join(pts, " "), dots.String())
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`, w, h)
	fmt.Fprintf(&s, `<rect width="100%%" height="100%%" fill="white"/>`)
	fmt.Fprintf(&s, `<text x="%.0f" y="22" font-size="14">make bench %s: time to converge and peak memory vs objects (20 emails each)</text>`, left, date)
	fmt.Fprintf(&s, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`, left, h-bottom, w-right, h-bottom)
	fmt.Fprintf(&s, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`, left, top, left, h-bottom)
	fmt.Fprintf(&s, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`, w-right, top, w-right, h-bottom)
	for _, r := range rs {
		fmt.Fprintf(&s, `<text x="%.1f" y="%.0f" text-anchor="middle">%d</text>`, x(r.Objects), h-bottom+16, r.Objects)
	}
	for i := 0; i <= 4; i++ {
		t, m := maxT*float64(i)/4, maxM*float64(i)/4
		fmt.Fprintf(&s, `<text x="%.0f" y="%.1f" text-anchor="end">%.0fs</text>`, left-6, yT(t)+4, t)
		fmt.Fprintf(&s, `<text x="%.0f" y="%.1f">%.0f MiB</text>`, w-right+6, yM(m)+4, m)
	}
	fmt.Fprintf(&s, `<text x="%.0f" y="%.0f" text-anchor="middle">objects</text>`, (left+w-right)/2, h-12)
	s.WriteString(line("#1f77b4", func(r result) (float64, float64) { return x(r.Objects), yT(r.ConvergeSeconds) }))
	s.WriteString(line("#7f7f7f", func(r result) (float64, float64) { return x(r.Objects), yT(r.FloorSeconds) }))
	s.WriteString(line("#d62728", func(r result) (float64, float64) { return x(r.Objects), yM(r.PeakRSSMiB) }))
	s.WriteString(dashed(line("#7f7f7f", func(r result) (float64, float64) { return x(r.Objects), yT(timeTarget * r.FloorSeconds) })))
	s.WriteString(dashed(line("#d62728", func(r result) (float64, float64) { return x(r.Objects), yM(memoryTarget(r.Objects)) })))
	legend := []struct{ color, text string }{{"#1f77b4", "manager: time until all Ready"},
		{"#7f7f7f", "floor: plain client, same work; dashed: 1.3x the floor (target)"},
		{"#d62728", "manager peak RSS (right axis); dashed: the memory target"}}
	for i, l := range legend {
		fmt.Fprintf(&s, `<rect x="%.0f" y="%.0f" width="12" height="3" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`,
			left+10, top+10+float64(i)*16, l.color, left+28, top+14+float64(i)*16, l.text)
	}
	s.WriteString(`</svg>`)
	return s.String()
}

// The targets drawn dashed: time within 1.3x the floor; memory at most 40 MiB at 100 objects, 64 MiB at
// 1,000, and 10 KiB per object beyond.
const timeTarget = 1.3

func memoryTarget(n int) float64 {
	switch {
	case n <= 100:
		return 40
	case n <= 1000:
		return 40 + float64(n-100)*24/900
	}
	return 64 + float64(n-1000)*10/1024
}

// dashed makes a polyline drawn by line dashed, without its dots.
func dashed(l string) string {
	if i := strings.Index(l, "<circle"); i >= 0 {
		l = l[:i]
	}
	return strings.Replace(l, `stroke-width="2"`, `stroke-width="1" stroke-dasharray="4 4"`, 1)
}
