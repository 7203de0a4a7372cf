// Command bench measures the operator (make bench and its siblings) with the manager binary as a
// subprocess, against a real API server and the sandbox providers, bounded in time. It has one scenario
// per question:
//
//   - size (make bench, make bench-10k): N SiteInvitations × E emails, half Wix and half WordPress.com over
//     several providers, against sandboxes with a per-call latency; for each size also the floor — a plain
//     client making the same minimal writes and provider calls at the same concurrency — so the headline
//     figure is a ratio that holds across machines; memory per size with a linear fit;
//   - quota (make bench-quota): a backlog of invites against realistic provider rate limits, then against a
//     provider whose own limit is below the configured one;
//   - refresh (make bench-refresh): thousands of objects with pending invites at realistic limits — how much
//     of the quota the periodic looks take, and how long a new invite waits behind them;
//   - latency (make bench-latency): create → Ready of one more object among 1,000 Ready ones, against the
//     floor of its own calls;
//   - apply: how fast the real kubectl creates the objects, and whether the bench's own requests leave
//     exactly what kubectl leaves on the stored objects.
//
// Each prints a table and its targets, and one JSON line last.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type config struct {
	scenario  string
	sizes     []int
	emails    int
	latency   time.Duration
	providers int
	workers   int
	resync    time.Duration
	shards    bool
	out       string
	timeout   time.Duration
	profile   time.Duration
	create    string
	// GOGC and GOMEMLIMIT of the manager, as the shipped manifests set them.
	gogc, gomemlimit string
	// managerLogLevel is the manager's --zap-log-level.
	managerLogLevel string
	// memProfileRate, when set, is the manager's runtime.MemProfileRate (GODEBUG=memprofilerate).
	memProfileRate int
	quota          quotaConfig
	refresh        refreshConfig
	lat            latencyConfig
}

func main() {
	var c config
	var sizes string
	flag.StringVar(&c.scenario, "scenario", "size", "What to measure: size, quota, refresh, latency or apply.")
	flag.StringVar(&sizes, "sizes", "100,1000,3000", "size: object counts to run, comma-separated. apply: the object count (the first size).")
	flag.IntVar(&c.emails, "emails", 20, "Emails per SiteInvitation.")
	flag.DurationVar(&c.latency, "latency", 20*time.Millisecond, "Latency of every sandbox answer.")
	flag.IntVar(&c.providers, "providers", 0, "Provider objects per provider type (default: 2 for size and latency, 1 for quota and refresh).")
	flag.IntVar(&c.workers, "workers", 4, "Manager --concurrency, and the floor's concurrency.")
	flag.DurationVar(&c.resync, "resync", 0,
		"Manager --resync-period (default: 10s for size, where steady state is measured over 2.5 of them; the manager's own 10m elsewhere).")
	flag.BoolVar(&c.shards, "shards", true, "size: also run two sharded managers on the 1000-object size (or the largest below).")
	flag.StringVar(&c.out, "out", "", "Where to write the JSON results (default: bin/bench/<scenario>.json; bin/bench/results.json for size).")
	flag.DurationVar(&c.timeout, "timeout", 20*time.Minute, "Bound on each run.")
	flag.DurationVar(&c.profile, "profile", 0,
		"size: take a CPU profile of this length from the start of each manager run (a heap profile is always taken once it converged).")
	flag.StringVar(&c.create, "create", "kubectl",
		"How objects are created: kubectl (the real kubectl apply -f, in chunks, half client-side, half --server-side) "+
			"or go (the same requests from the bench; -scenario apply proves the stored objects identical).")
	flag.StringVar(&c.gogc, "gogc", "", "GOGC of the manager; empty leaves it unset (100), as the shipped manifests do.")
	flag.StringVar(&c.gomemlimit, "gomemlimit", strconv.Itoa(384<<20),
		"GOMEMLIMIT of the manager: the manifests set it from limits.memory (384Mi), which the kubelet gives in bytes; empty leaves it unset.")
	flag.StringVar(&c.managerLogLevel, "manager-log-level", "error", "The manager's --zap-log-level (its log is beside -out).")
	flag.IntVar(&c.memProfileRate, "memprofilerate", 0,
		"The manager's heap profile sampling rate in bytes (GODEBUG=memprofilerate); 0 keeps Go's 512 KiB, too coarse for a top 10 of a small heap.")
	c.quota.flags()
	c.refresh.flags()
	c.lat.flags()
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 2 {
			fmt.Fprintf(os.Stderr, "bad size %q\n", s)
			os.Exit(2)
		}
		c.sizes = append(c.sizes, n)
	}
	if c.create != createGo && c.create != createKubectl {
		fmt.Fprintf(os.Stderr, "-create is go or kubectl, not %q\n", c.create)
		os.Exit(2)
	}
	var run func(config) error
	switch c.scenario {
	case "size":
		c.defaults(2, 10*time.Second, "results.json")
		run = runSizes
	case "quota":
		c.defaults(1, 10*time.Minute, "quota.json")
		run = runQuota
	case "refresh":
		c.defaults(1, 10*time.Minute, "refresh.json")
		run = runRefresh
	case "latency":
		c.defaults(2, 10*time.Minute, "latency.json")
		run = runLatency
	case "apply":
		c.defaults(2, 10*time.Minute, "apply.json")
		run = runApplyCheck
	default:
		fmt.Fprintf(os.Stderr, "unknown scenario %q\n", c.scenario)
		os.Exit(2)
	}
	err := os.MkdirAll(filepath.Dir(c.out), 0o755)
	if err == nil {
		err = run(c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// defaults fills what the user left unset with the scenario's own defaults.
func (c *config) defaults(providers int, resync time.Duration, out string) {
	if c.providers == 0 {
		c.providers = providers
	}
	if c.resync == 0 {
		c.resync = resync
	}
	if c.out == "" {
		c.out = "bin/bench/" + out
	}
}
