package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Heap is the manager's memory once every object converged, right after a forced collection.
type Heap struct {
	// HeapInuseMiB is go_memstats_heap_inuse_bytes from the manager's /metrics just after the heap
	// profile's collection: live objects plus the spans they sit in.
	HeapInuseMiB float64 `json:"heapInuseMiB"`
	// LiveHeapMiB is the heap profile's inuse_space total (sampled): the live objects alone.
	LiveHeapMiB float64 `json:"liveHeapMiB"`
	// RSSMiB is the resident set size at the same moment, RSSAnonMiB and RSSFileMiB its anonymous part
	// (heap, stacks, runtime) and its file-backed part (the binary's pages).
	RSSMiB     float64 `json:"rssAfterMiB"`
	RSSAnonMiB float64 `json:"rssAnonAfterMiB"`
	RSSFileMiB float64 `json:"rssFileAfterMiB"`
	// HeapTop is the profile's top 10 by inuse_space, as go tool pprof prints it.
	HeapTop []string `json:"heapTop,omitempty"`
}

// measureHeap saves a heap profile taken after a collection (gc=1) to path, reads the heap in use, and
// lists the profile's top 10 by inuse_space.
func measureHeap(ctx context.Context, m *runningManager, path string) (Heap, error) {
	var h Heap
	if err := fetch(ctx, "http://"+m.pprof+"/debug/pprof/heap?gc=1", path); err != nil {
		return h, err
	}
	inuse, err := m.Metric("go_memstats_heap_inuse_bytes")
	if err != nil {
		return h, err
	}
	total, anon, file := m.RSS()
	h.HeapInuseMiB, h.RSSMiB, h.RSSAnonMiB, h.RSSFileMiB = inuse/(1<<20), float64(total)/(1<<20), float64(anon)/(1<<20), float64(file)/(1<<20)
	h.LiveHeapMiB, h.HeapTop, err = pprofTop(ctx, path)
	return h, err
}

var pprofTotal = regexp.MustCompile(`of ([0-9.]+)([kMG]?B) total`)

// pprofTop runs go tool pprof -top on a heap profile: the total in use (MiB) and the top-10 lines.
func pprofTop(ctx context.Context, path string) (float64, []string, error) {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-sample_index=inuse_space", "-nodecount=10", path).Output()
	if err != nil {
		return 0, nil, fmt.Errorf("go tool pprof %s: %w", path, err)
	}
	var total float64
	var lines []string
	table := false
	for _, line := range strings.Split(string(out), "\n") {
		if m := pprofTotal.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			// pprof's kB, MB and GB are powers of 1024.
			total = v * map[string]float64{"B": 1.0 / (1 << 20), "kB": 1.0 / (1 << 10), "MB": 1, "GB": 1 << 10}[m[2]]
		}
		if strings.Contains(line, "flat%") {
			table = true
		}
		if table && strings.TrimSpace(line) != "" {
			lines = append(lines, strings.TrimRight(line, " "))
		}
	}
	return total, lines, nil
}

// Fit is a least-squares line through one memory figure against the number of objects.
type Fit struct {
	// InterceptMiB is the fixed cost: the line at zero objects.
	InterceptMiB float64 `json:"interceptMiB"`
	// SlopeKiB is what each further object costs.
	SlopeKiB float64 `json:"slopeKiBPerObject"`
}

// MemoryFit is the fit of each memory figure over the sizes of a run.
type MemoryFit struct {
	PeakRSS   Fit `json:"peakRSS"`
	HeapInuse Fit `json:"heapInuse"`
	LiveHeap  Fit `json:"liveHeap"`
}

func memoryFit(rs []Result) *MemoryFit {
	if len(rs) < 2 {
		return nil
	}
	fit := func(y func(Result) float64) Fit {
		var sx, sy, sxx, sxy float64
		n := float64(len(rs))
		for _, r := range rs {
			x := float64(r.Objects)
			sx, sy, sxx, sxy = sx+x, sy+y(r), sxx+x*x, sxy+x*y(r)
		}
		slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
		return Fit{InterceptMiB: (sy - slope*sx) / n, SlopeKiB: slope * 1024}
	}
	return &MemoryFit{
		PeakRSS:   fit(func(r Result) float64 { return r.PeakRSSMiB }),
		HeapInuse: fit(func(r Result) float64 { return r.HeapInuseMiB }),
		LiveHeap:  fit(func(r Result) float64 { return r.LiveHeapMiB }),
	}
}
