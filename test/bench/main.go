// Command bench measures the operator at scale (make bench): N SiteInvitations × E emails, half Wix and
// half WordPress.com over several providers, against sandbox providers with a per-call latency, with the
// manager binary as a subprocess. For each size it also measures the floor — a plain client making the
// same minimal writes and provider calls at the same concurrency — so the headline figure is a ratio that
// holds across machines. It prints a table, a verdict per target, and one JSON line last.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providers"
	"github.com/siteops/invitation-operator/internal/sandbox"
	"github.com/siteops/invitation-operator/internal/testenv"
	"github.com/siteops/invitation-operator/test/harness"
)

type config struct {
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
}

// Result is one size's figures.
type Result struct {
	Objects          int            `json:"objects"`
	Emails           int            `json:"emailsPerObject"`
	FloorSeconds     float64        `json:"floorSeconds"`
	ConvergeSeconds  float64        `json:"convergeSeconds"`
	TimeRatio        float64        `json:"timeRatioToFloor"`
	InviteCalls      int            `json:"inviteCalls"`
	ListCalls        int            `json:"listCalls"`
	OtherCalls       int            `json:"otherProviderCalls"`
	CallsByOp        map[string]int `json:"callsByOp"`
	MinimumInvites   int            `json:"minimumInviteCalls"`
	MinimumCalls     int            `json:"minimumProviderCalls"`
	CallRatio        float64        `json:"callRatioToMinimum"`
	StatusWritesPer  float64        `json:"statusWritesPerObject"`
	APIRequestsPer   float64        `json:"apiRequestsPerObject"`
	PeakRSSMiB       float64        `json:"peakRSSMiB"`
	CPUSeconds       float64        `json:"cpuSeconds"`
	SteadyWrites     float64        `json:"steadyStateStatusWrites"`
	SteadyCalls      int            `json:"steadyStateProviderCalls"`
	SteadySeconds    float64        `json:"steadyStateSeconds"`
	KeysLearnedSecs  float64        `json:"keysLearnedSeconds"`
	Duplicates       int            `json:"duplicateInvites"`
	NotReady         int            `json:"notReady"`
	ShardedSeconds   float64        `json:"shardedSeconds,omitempty"`
	ShardedPeakMiB   float64        `json:"shardedPeakRSSMiBPerManager,omitempty"`
	ShardedDuplicate int            `json:"shardedDuplicates,omitempty"`
}

func main() {
	var c config
	var sizes string
	flag.StringVar(&sizes, "sizes", "100,1000,3000", "Object counts to run, comma-separated.")
	flag.IntVar(&c.emails, "emails", 20, "Emails per SiteInvitation.")
	flag.DurationVar(&c.latency, "latency", 20*time.Millisecond, "Latency of every sandbox answer.")
	flag.IntVar(&c.providers, "providers", 2, "Provider objects per provider type.")
	flag.IntVar(&c.workers, "workers", 4, "Manager --concurrency, and the floor's concurrency.")
	flag.DurationVar(&c.resync, "resync", 10*time.Second, "Manager --resync-period; steady state is measured over two of them.")
	flag.BoolVar(&c.shards, "shards", true, "Also run two sharded managers on the 1000-object size (or the largest below).")
	flag.StringVar(&c.out, "out", "bin/bench/results.json", "Where to write the JSON results.")
	flag.DurationVar(&c.timeout, "timeout", 20*time.Minute, "Bound on each run.")
	flag.DurationVar(&c.profile, "profile", 0,
		"When set, take a CPU profile of this length from the start of each manager run, and a heap profile once it converged (pprof files beside -out).")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 2 {
			fmt.Fprintf(os.Stderr, "bad size %q\n", s)
			os.Exit(2)
		}
		c.sizes = append(c.sizes, n)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
		return err
	}
	var results []Result
	shardSize := 0
	for _, n := range c.sizes {
		if n <= 1000 {
			shardSize = n
		}
	}
	for _, n := range c.sizes {
		floor, err := runFloor(c, n)
		if err != nil {
			return fmt.Errorf("floor %d: %w", n, err)
		}
		r, err := runManager(c, n)
		if err != nil {
			return fmt.Errorf("manager %d: %w", n, err)
		}
		r.FloorSeconds = floor.Seconds()
		r.TimeRatio = r.ConvergeSeconds / r.FloorSeconds
		if c.shards && n == shardSize {
			if err := runSharded(c, n, &r); err != nil {
				return fmt.Errorf("sharded %d: %w", n, err)
			}
		}
		results = append(results, r)
		fmt.Fprintf(os.Stderr, "size %d done: %+v\n", n, r)
	}
	missed := report(c, results)
	b, err := json.Marshal(map[string]any{"date": time.Now().UTC().Format(time.RFC3339), "latency": c.latency.String(),
		"workers": c.workers, "providersPerType": c.providers, "resync": c.resync.String(), "results": results})
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.out, b, 0o644); err != nil {
		return err
	}
	fmt.Println(string(b))
	if len(missed) > 0 {
		return fmt.Errorf("%d targets missed: %s", len(missed), strings.Join(missed, "; "))
	}
	return nil
}

// minimumInvites is the fewest invite calls the batch sizes allow: Wix batches of 5, WordPress.com of 20.
func minimumInvites(n, emails int) int {
	wix, wp := (n+1)/2, n/2
	return wix*ceilDiv(emails, 5) + wp*ceilDiv(emails, 20)
}

// minimumCalls is the fewest provider calls the batch sizes allow: Wix batches of 5; WordPress.com
// batches of 20 plus the one list the protocol makes before a first send (adoption).
func minimumCalls(n, emails int) int {
	wix, wp := (n+1)/2, n/2
	return wix*ceilDiv(emails, 5) + wp*(ceilDiv(emails, 20)+1)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func start(c config, n int) (*harness.Harness, error) {
	h, err := harness.Start(harness.Options{Sites: max(n/10, 1), Latency: c.latency})
	if err != nil {
		return nil, err
	}
	if err := h.Setup(context.Background(), c.providers); err != nil {
		h.Stop()
		return nil, err
	}
	return h, nil
}

// runFloor does, with a plain client, exactly the work the protocol cannot avoid: create each object, and
// per batch one intent write, one provider call, one outcome write (plus WordPress.com's adoption list).
func runFloor(c config, n int) (time.Duration, error) {
	h, err := start(c, n)
	if err != nil {
		return 0, err
	}
	defer h.Stop()
	clients := map[string]provider.Client{}
	for _, t := range []provider.Type{provider.Wix, provider.WordPress} {
		seed := sandbox.DefaultConfig()
		cfg := provider.Config{Type: t, BaseURL: h.WixURL, Credential: seed.Wix.APIKeys[0].Secret}
		if t == provider.WordPress {
			cfg.BaseURL, cfg.Credential = h.WPURL, seed.WordPress.Tokens[0].Secret
		}
		if clients[string(t)], err = providers.New(cfg); err != nil {
			return 0, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	begin := time.Now()
	err = harness.Parallel(n, c.workers, func(i int) error {
		obj := h.Object(i, c.emails, c.providers, nil)
		if err := h.Client.Create(ctx, obj); err != nil {
			return err
		}
		cl := clients[string(obj.Spec.Provider)]
		if cl.Capabilities().ListsPending {
			if _, err := cl.Observe(ctx, obj.Spec.Site, provider.Query{Emails: obj.Spec.Emails}); err != nil {
				return err
			}
		}
		for _, batch := range chunks(obj.Spec.Emails, cl.Capabilities().BatchSize) {
			obj.Status.InFlight = &invv1.InFlightBatch{ID: rand.String(16), Emails: batch, Roles: obj.Spec.Roles, StartedAt: metav1.Now()}
			if err := h.Client.Status().Update(ctx, obj); err != nil {
				return err
			}
			outcomes, err := cl.Send(ctx, provider.Batch{Site: obj.Spec.Site, Emails: batch, Roles: obj.Spec.Roles})
			if err != nil {
				return err
			}
			for _, o := range outcomes {
				obj.Status.Sent = append(obj.Status.Sent, invv1.SentInvitation{Email: o.Email, InviteID: o.InviteID, Roles: obj.Spec.Roles,
					SentAt: metav1.Now(), State: invv1.InvitationPending})
			}
			obj.Status.InFlight = nil
			if err := h.Client.Status().Update(ctx, obj); err != nil {
				return err
			}
		}
		return nil
	})
	return time.Since(begin), err
}

func chunks(s []string, size int) [][]string {
	var out [][]string
	for len(s) > 0 {
		k := min(size, len(s))
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func managerBinary(h *harness.Harness) (string, error) {
	buildOnce.Do(func() {
		var p string
		if p, buildErr = h.BuildManager(); buildErr == nil {
			binPath = filepath.Join(os.TempDir(), "invitation-bench-manager")
			buildErr = os.Rename(p, binPath)
		}
	})
	return binPath, buildErr
}

// The Kubernetes API client limits of both the manager and the floor client, so neither is throttled
// differently from the other.
const apiQPS, apiBurst = 500, 1000

func managerArgs(c config) []string {
	return []string{"--leader-elect=false", fmt.Sprintf("--concurrency=%d", c.workers), "--resync-period=" + c.resync.String(),
		"--send-deadline=30s", "--provider-timeout=10s", fmt.Sprintf("--kube-api-qps=%d", apiQPS), fmt.Sprintf("--kube-api-burst=%d", apiBurst)}
}

func createAll(ctx context.Context, h *harness.Harness, c config, n int, labels func(i int) map[string]string) error {
	return harness.Parallel(n, 16, func(i int) error {
		var l map[string]string
		if labels != nil {
			l = labels(i)
		}
		return h.Client.Create(ctx, h.Object(i, c.emails, c.providers, l))
	})
}

func runManager(c config, n int) (Result, error) {
	r := Result{Objects: n, Emails: c.emails}
	h, err := start(c, n)
	if err != nil {
		return r, err
	}
	defer h.Stop()
	bin, err := managerBinary(h)
	if err != nil {
		return r, err
	}
	args, pprof := managerArgs(c), ""
	if c.profile > 0 {
		pprof = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort())
		args = append(args, "--pprof-bind-address="+pprof)
	}
	m, err := h.StartManager(bin, filepath.Join(filepath.Dir(c.out), fmt.Sprintf("manager-%d.log", n)), args...)
	if err != nil {
		return r, err
	}
	defer m.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := waitMetrics(ctx, m); err != nil {
		return r, err
	}

	begin := time.Now()
	profiled := make(chan error, 1)
	if pprof != "" {
		go func() {
			profiled <- fetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprof, int(c.profile.Seconds())),
				filepath.Join(filepath.Dir(c.out), fmt.Sprintf("cpu-%d.pprof", n)))
		}()
	}
	if err := createAll(ctx, h, c, n, nil); err != nil {
		return r, err
	}
	if _, err := h.WaitFor(ctx, n, harness.Settled, 250*time.Millisecond); err != nil {
		return r, err
	}
	r.ConvergeSeconds = time.Since(begin).Seconds()
	if pprof != "" {
		if err := errors.Join(<-profiled, fetchProfile(ctx, "http://"+pprof+"/debug/pprof/heap",
			filepath.Join(filepath.Dir(c.out), fmt.Sprintf("heap-%d.pprof", n)))); err != nil {
			return r, err
		}
	}
	r.NotReady = n - countReady(ctx, h)

	wix, wp := h.Wix.Snapshot(), h.WP.Snapshot()
	r.InviteCalls = wix.Calls[sandbox.OpInvite] + wp.Calls[sandbox.OpInvite]
	r.ListCalls = wp.Calls[sandbox.OpList]
	r.OtherCalls = totalCalls(wix) + totalCalls(wp) - r.InviteCalls - r.ListCalls
	r.MinimumCalls, r.MinimumInvites = minimumCalls(n, c.emails), minimumInvites(n, c.emails)
	r.CallsByOp = map[string]int{}
	for prefix, s := range map[string]sandbox.Snapshot{"wix.": wix, "wordpress.": wp} {
		for op, v := range s.Calls {
			r.CallsByOp[prefix+op] = v
		}
	}
	r.CallRatio = float64(r.InviteCalls+r.ListCalls+r.OtherCalls) / float64(r.MinimumCalls)
	r.Duplicates = len(wix.Duplicates) + len(wp.Duplicates)
	writes, _ := m.Metric("invitation_operator_status_writes_total")
	api, _ := m.Metric("rest_client_requests_total")
	r.StatusWritesPer, r.APIRequestsPer = writes/float64(n), api/float64(n)

	// Steady state begins once nothing is left to learn: the first look at the provider after the sends
	// records WordPress.com's invite keys (one write per WordPress.com object). Then two resync periods
	// must pass without a write.
	if _, err := h.WaitFor(ctx, n, func(o *invv1.SiteInvitation) bool {
		for _, s := range o.Status.Sent {
			if s.InviteID == "" {
				return false
			}
		}
		return true
	}, time.Second); err != nil {
		return r, fmt.Errorf("invite keys: %w", err)
	}
	r.KeysLearnedSecs = time.Since(begin).Seconds()
	writes, _ = m.Metric("invitation_operator_status_writes_total")
	callsBefore := totalCalls(h.Wix.Snapshot()) + totalCalls(h.WP.Snapshot())
	steady := 2*c.resync + c.resync/2
	time.Sleep(steady)
	writesAfter, _ := m.Metric("invitation_operator_status_writes_total")
	r.SteadyWrites = writesAfter - writes
	r.SteadyCalls = totalCalls(h.Wix.Snapshot()) + totalCalls(h.WP.Snapshot()) - callsBefore
	r.SteadySeconds = steady.Seconds()
	r.PeakRSSMiB = float64(m.PeakRSS()) / (1 << 20)
	r.CPUSeconds = m.CPUSeconds()
	return r, nil
}

func runSharded(c config, n int, r *Result) error {
	h, err := start(c, n)
	if err != nil {
		return err
	}
	defer h.Stop()
	bin, err := managerBinary(h)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var managers []*harness.Manager
	for _, shard := range []string{"a", "b"} {
		m, err := h.StartManager(bin, filepath.Join(filepath.Dir(c.out), fmt.Sprintf("manager-shard-%s.log", shard)),
			append(managerArgs(c), "--watch-label-selector=sharding.siteops.dev/key="+shard)...)
		if err != nil {
			return err
		}
		defer m.Stop()
		if err := waitMetrics(ctx, m); err != nil {
			return err
		}
		managers = append(managers, m)
	}
	begin := time.Now()
	if err := createAll(ctx, h, c, n, func(i int) map[string]string {
		return map[string]string{"sharding.siteops.dev/key": []string{"a", "b"}[i%2]}
	}); err != nil {
		return err
	}
	if _, err := h.WaitFor(ctx, n, harness.Settled, 250*time.Millisecond); err != nil {
		return err
	}
	r.ShardedSeconds = time.Since(begin).Seconds()
	for _, m := range managers {
		r.ShardedPeakMiB = math.Max(r.ShardedPeakMiB, float64(m.PeakRSS())/(1<<20))
	}
	r.ShardedDuplicate = len(h.Wix.Snapshot().Duplicates) + len(h.WP.Snapshot().Duplicates)
	return nil
}

func waitMetrics(ctx context.Context, m *harness.Manager) error {
	for {
		if _, err := m.Metric("invitation_operator_status_writes_total"); err == nil {
			return nil
		}
		if !m.Alive() {
			return fmt.Errorf("the manager exited; see its log")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func countReady(ctx context.Context, h *harness.Harness) int {
	return h.Count(ctx, func(o *invv1.SiteInvitation) bool {
		return harness.Settled(o) && o.Status.Summary.Sent == o.Status.Summary.Desired
	})
}

// fetchProfile saves one pprof endpoint's answer to path.
func fetchProfile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: HTTP %d", url, resp.StatusCode)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	fmt.Printf("profile written: %s (go tool pprof -top %s)\n", path, path)
	return os.WriteFile(path, b, 0o644)
}

func totalCalls(s sandbox.Snapshot) int {
	t := 0
	for _, v := range s.Calls {
		t += v
	}
	return t
}

// report prints the table and a verdict per target, and returns the targets missed: on every size, no
// duplicate, every object Ready, no steady-state write and no invite call beyond the batch minimum; at
// 1,000 objects also the time and memory targets.
func report(c config, rs []Result) (missed []string) {
	fmt.Printf("\nbench: %d emails per object, sandbox latency %s, %d workers, %d providers per type\n\n", c.emails, c.latency, c.workers, c.providers)
	fmt.Printf("%8s %9s %9s %7s %8s %8s %7s %8s %8s %8s %7s %8s %8s\n", "objects", "floor s", "manager s", "ratio", "calls",
		"minimum", "ratio", "writes/o", "api/o", "peak MiB", "cpu s", "steady w", "dups")
	for _, r := range rs {
		fmt.Printf("%8d %9.1f %9.1f %7.2f %8d %8d %7.3f %8.2f %8.1f %8.1f %7.1f %8.0f %8d\n", r.Objects, r.FloorSeconds, r.ConvergeSeconds,
			r.TimeRatio, r.InviteCalls+r.ListCalls+r.OtherCalls, r.MinimumCalls, r.CallRatio, r.StatusWritesPer, r.APIRequestsPer,
			r.PeakRSSMiB, r.CPUSeconds, r.SteadyWrites, r.Duplicates)
	}
	for _, r := range rs {
		if r.ShardedSeconds > 0 {
			fmt.Printf("\nsharded, %d objects over two managers: %.1f s (one manager: %.1f s), peak %.1f MiB per manager, %d duplicates\n",
				r.Objects, r.ShardedSeconds, r.ConvergeSeconds, r.ShardedPeakMiB, r.ShardedDuplicate)
		}
	}
	fmt.Println()
	for _, r := range rs {
		check := func(ok bool, target string) string {
			if ok {
				return "MET"
			}
			missed = append(missed, fmt.Sprintf("%d objects: %s", r.Objects, target))
			return "MISSED"
		}
		if r.Objects != 1000 {
			for _, t := range []struct {
				ok   bool
				name string
			}{
				{r.Duplicates == 0, "no duplicate invite"}, {r.NotReady == 0, "every object Ready"},
				{r.SteadyWrites == 0, "no steady-state status write"}, {r.InviteCalls == r.MinimumInvites, "invite calls at the batch minimum"},
			} {
				if !t.ok {
					fmt.Printf("target %s at %d objects — %s\n", t.name, r.Objects, check(false, t.name))
				}
			}
			continue
		}
		fmt.Printf("target every object Ready: %d not Ready — %s\n", r.NotReady, check(r.NotReady == 0, "every object Ready"))
		fmt.Printf("target converge within 2x the floor: %.2fx — %s\n", r.TimeRatio, check(r.TimeRatio <= 2, "converge within 2x the floor"))
		fmt.Printf("target peak RSS <= 128 MiB: %.1f MiB — %s\n", r.PeakRSSMiB, check(r.PeakRSSMiB <= 128, "peak RSS <= 128 MiB"))
		fmt.Printf("target 0 steady-state status writes: %.0f — %s\n", r.SteadyWrites, check(r.SteadyWrites == 0, "0 steady-state status writes"))
		fmt.Printf("target invite calls = the minimum the batch sizes allow: %d vs %d — %s\n", r.InviteCalls, r.MinimumInvites,
			check(r.InviteCalls == r.MinimumInvites, "invite calls at the batch minimum"))
		fmt.Printf("all provider calls until Ready vs minimum (invites + one adoption list per WordPress.com object): %.3fx %v\n",
			r.CallRatio, r.CallsByOp)
		fmt.Printf("duplicates: %d — %s\n", r.Duplicates, check(r.Duplicates == 0, "no duplicates"))
	}
	return missed
}
