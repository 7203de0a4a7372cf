package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/sandbox"
	"github.com/siteops/invitation-operator/test/harness"
)

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
	Heap
}

// runSizes is make bench: for each size the floor, the manager, and on one size two sharded managers;
// then the table, the targets, the memory fit, and the JSON.
func runSizes(c config) error {
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
		fmt.Fprintf(os.Stderr, "size %d done: floor %.1f s, manager %.1f s, peak %.1f MiB, heap in use %.1f MiB\n",
			n, r.FloorSeconds, r.ConvergeSeconds, r.PeakRSSMiB, r.HeapInuseMiB)
	}
	missed := report(c, results)
	fit := memoryFit(results)
	issueTargets(results, fit)
	if err := writeResults(c, map[string]any{"results": results, "memoryFit": fit}); err != nil {
		return err
	}
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

func runManager(c config, n int) (Result, error) {
	r := Result{Objects: n, Emails: c.emails}
	h, ctx, stop, err := start(c, n, harness.Options{})
	if err != nil {
		return r, err
	}
	defer stop()
	m, err := startManager(ctx, c, h, fmt.Sprintf("manager-%d.log", n))
	if err != nil {
		return r, err
	}
	defer m.Stop()

	begin := time.Now()
	profiled := make(chan error, 1)
	if c.profile > 0 {
		go func() {
			profiled <- fetch(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", m.pprof, int(c.profile.Seconds())),
				filepath.Join(filepath.Dir(c.out), fmt.Sprintf("cpu-%d.pprof", n)))
		}()
	} else {
		profiled <- nil
	}
	if err := create(ctx, h, c.create, objects(h, c, 0, n, nil)); err != nil {
		return r, err
	}
	if _, err := h.WaitFor(ctx, n, harness.Settled, 250*time.Millisecond); err != nil {
		return r, err
	}
	r.ConvergeSeconds = time.Since(begin).Seconds()
	if err := <-profiled; err != nil {
		return r, err
	}
	if r.Heap, err = measureHeap(ctx, m, filepath.Join(filepath.Dir(c.out), fmt.Sprintf("heap-%d.pprof", n))); err != nil {
		return r, err
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
	h, ctx, stop, err := start(c, n, harness.Options{})
	if err != nil {
		return err
	}
	defer stop()
	var managers []*runningManager
	for _, shard := range []string{"a", "b"} {
		m, err := startManager(ctx, c, h, fmt.Sprintf("manager-shard-%s.log", shard), "--watch-label-selector=sharding.siteops.dev/key="+shard)
		if err != nil {
			return err
		}
		defer m.Stop()
		managers = append(managers, m)
	}
	begin := time.Now()
	if err := create(ctx, h, c.create, objects(h, c, 0, n, func(i int) map[string]string {
		return map[string]string{"sharding.siteops.dev/key": []string{"a", "b"}[i%2]}
	})); err != nil {
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

func countReady(ctx context.Context, h *harness.Harness) int {
	return h.Count(ctx, func(o *invv1.SiteInvitation) bool {
		return harness.Settled(o) && o.Status.Summary.Sent == o.Status.Summary.Desired
	})
}
