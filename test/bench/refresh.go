package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/sandbox"
	"github.com/siteops/invitation-operator/test/harness"
)

// refreshConfig shapes the refresh scenario.
type refreshConfig struct {
	objects    int
	warmup     time.Duration
	window     time.Duration
	newTimeout time.Duration
}

func (r *refreshConfig) flags() {
	flag.IntVar(&r.objects, "refresh-objects", 10000, "refresh: SiteInvitations whose invites are all pending when the manager starts.")
	flag.DurationVar(&r.warmup, "refresh-warmup", time.Minute, "refresh: time from the manager's start to the start of the measured window.")
	flag.DurationVar(&r.window, "refresh-window", 3*time.Minute, "refresh: the measured window.")
	flag.DurationVar(&r.newTimeout, "refresh-new-timeout", 5*time.Minute, "refresh: how long to wait for the new objects' first invite.")
}

// RefreshProvider is one provider's figures in the refresh scenario.
type RefreshProvider struct {
	Provider   string `json:"provider"`
	Configured int    `json:"configuredPerMinute"`
	Window
	// ReadShare is the reads per minute as a share of the configured quota (all provider objects of the type).
	ReadShare float64 `json:"readShareOfQuota"`
	// ReadsPerWindowMinute is the reads in each whole minute of the window.
	ReadsPerWindowMinute []int `json:"readsPerWindowMinute"`
	// NewInviteSeconds is how long the new object of this type waited from its create to its first
	// invite reaching the sandbox; negative when it did not within the bound.
	NewInviteSeconds float64 `json:"newInviteSeconds"`
	Duplicates       int     `json:"duplicates"`
}

// runRefresh is make bench-refresh: N objects whose invites were all sent and are pending (the sandbox
// holds the invites, the objects' status records them as the manager writes it), the manager started on
// them with realistic quotas; the reads per minute it makes in a window after its start, as a share of
// the quota; then one new object per provider type, and how long until its first invite reaches the
// provider.
func runRefresh(c config) error {
	rc, q, n := c.refresh, c.quota, c.refresh.objects
	h, ctx, stop, err := start(c, n, harness.Options{
		WixRate:       &invv1.RateLimit{RequestsPerMinute: int32(q.wixRate), Burst: int32(q.burst)},
		WordPressRate: &invv1.RateLimit{RequestsPerMinute: int32(q.wpRate), Burst: int32(q.burst)},
	})
	if err != nil {
		return err
	}
	defer stop()
	begin := time.Now()
	objs := objects(h, c, 0, n, nil)
	if err := create(ctx, h, c.create, objs); err != nil {
		return err
	}
	created := time.Since(begin)
	if err := refill(ctx, h, objs); err != nil {
		return err
	}
	if err := harness.Parallel(n, createParallel, func(i int) error { return seedPending(ctx, h, objs[i]) }); err != nil {
		return fmt.Errorf("seeding pending invites: %w", err)
	}
	fmt.Fprintf(os.Stderr, "refresh: %d objects created in %.0f s, their %d invites pending after %.0f s; starting the manager\n",
		n, created.Seconds(), n*c.emails, time.Since(begin).Seconds())

	m, err := startManager(ctx, c, h, "manager-refresh.log")
	if err != nil {
		return err
	}
	defer m.Stop()
	started := time.Now()
	from, to := started.Add(rc.warmup), started.Add(rc.warmup+rc.window)
	if !sleepUntil(ctx.Done(), to) {
		return ctx.Err()
	}
	writes, _ := m.Metric("invitation_operator_status_writes_total")
	wixLog, wpLog := h.Wix.CallLog(), h.WP.CallLog()
	heap, err := measureHeap(ctx, m, filepath.Join(filepath.Dir(c.out), fmt.Sprintf("heap-refresh-%d.pprof", n)))
	if err != nil {
		return err
	}

	waits, err := newInviteWaits(ctx, c, h, n)
	if err != nil {
		return err
	}

	for name, log := range map[string][]sandbox.Call{"refresh-wix": h.Wix.CallLog(), "refresh-wordpress": h.WP.CallLog()} {
		if err := saveCallLog(c, name, log); err != nil {
			return err
		}
	}
	var out []RefreshProvider
	for _, p := range []struct {
		name       string
		t          invv1.ProviderType
		log        []sandbox.Call
		snap       sandbox.Snapshot
		configured int
	}{{providerWix, invv1.ProviderWix, wixLog, h.Wix.Snapshot(), q.wixRate}, {providerWordPress, invv1.ProviderWordPress, wpLog, h.WP.Snapshot(), q.wpRate}} {
		w := window(p.log, from, to)
		rp := RefreshProvider{Provider: p.name, Configured: p.configured * c.providers, Window: w,
			ReadShare: w.ReadsPerMinute / float64(p.configured*c.providers), NewInviteSeconds: waits[p.t], Duplicates: len(p.snap.Duplicates)}
		for minute := from; minute.Before(to); minute = minute.Add(time.Minute) {
			rp.ReadsPerWindowMinute = append(rp.ReadsPerWindowMinute, window(p.log, minute, minute.Add(time.Minute)).Reads)
		}
		out = append(out, rp)
	}
	fmt.Printf("\nrefresh: %d objects × %d emails, all pending, %d InvitationProvider per type (Wix %d/min, WordPress.com %d/min, burst %d), "+
		"%d workers, resync %s, sandbox latency %s, %d sites per type; window %s from %s after the manager's start\n", n, c.emails,
		c.providers, q.wixRate, q.wpRate, q.burst, c.workers, c.resync, c.latency, max(n/10, 1), rc.window, rc.warmup)
	fmt.Printf("\n%-13s %10s %10s %8s %14s %8s %14s  %s\n", "provider", "quota/min", "reads/min", "share", "reads a minute", "writes",
		"new invite s", "calls in window")
	for _, p := range out {
		fmt.Printf("%-13s %10d %10.1f %7.0f%% %14v %8d %14s  %s\n", p.Provider, p.Configured, p.ReadsPerMinute, 100*p.ReadShare,
			p.ReadsPerWindowMinute, p.Writes, seconds(p.NewInviteSeconds, rc.newTimeout), byOp(p.ByOp))
	}
	fmt.Printf("\nmanager after the window: %.0f status writes since start, heap in use %.1f MiB, RSS %.1f MiB (peak %.1f MiB)\n",
		writes, heap.HeapInuseMiB, heap.RSSMiB, float64(m.PeakRSS())/(1<<20))
	fmt.Println("\ntargets (printed, not enforced):")
	for _, p := range out {
		fmt.Printf("  %s: steady-state reads <= 20%% of the quota: %.0f%% — %s; a new invite within 1 minute: %s — %s\n", p.Provider,
			100*p.ReadShare, metOrNot(p.ReadShare <= 0.2), seconds(p.NewInviteSeconds, rc.newTimeout),
			metOrNot(p.NewInviteSeconds >= 0 && p.NewInviteSeconds <= 60))
	}
	return writeResults(c, map[string]any{keyObjects: n, "burst": q.burst, "warmup": rc.warmup.String(), "window": rc.window.String(),
		"statusWrites": writes, "heap": heap, "peakRSSMiB": float64(m.PeakRSS()) / (1 << 20), "providers": out})
}

// seconds prints a wait, or that it did not end within bound.
func seconds(s float64, bound time.Duration) string {
	if s < 0 {
		return "> " + bound.String()
	}
	return fmt.Sprintf("%.1f s", s)
}

func freshEmail(fresh []*invv1.SiteInvitation, t invv1.ProviderType, email string) bool {
	for _, o := range fresh {
		if o.Spec.Provider != t {
			continue
		}
		for _, e := range o.Spec.Emails {
			if e == email {
				return true
			}
		}
	}
	return false
}

// seedPending puts obj where the manager leaves an object whose invites all went out: the sandbox holds
// one pending invite per email, and the status records each (key, roles, time, Wix's expiry), with the
// summary and Ready condition the manager writes, for the object's generation.
func seedPending(ctx context.Context, h *harness.Harness, obj *invv1.SiteInvitation) error {
	preload := h.Wix.Preload
	if obj.Spec.Provider == invv1.ProviderWordPress {
		preload = h.WP.Preload
	}
	st := &obj.Status
	for _, email := range obj.Spec.Emails {
		inv, err := preload(obj.Spec.Site, email, obj.Spec.Roles)
		if err != nil {
			return err
		}
		s := invv1.SentInvitation{Email: email, InviteID: inv.ID, Roles: obj.Spec.Roles, SentAt: metav1.NewTime(inv.Created),
			State: invv1.InvitationPending}
		if obj.Spec.Provider == invv1.ProviderWix && !inv.Expires.IsZero() {
			s.ExpiresAt = &metav1.Time{Time: inv.Expires}
		}
		st.Sent = append(st.Sent, s)
	}
	st.Summary = ledger.Summary(st, &obj.Spec)
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: invv1.ConditionReady, Status: metav1.ConditionTrue,
		Reason: invv1.ReasonSucceeded, ObservedGeneration: obj.Generation,
		Message: fmt.Sprintf("%d of %d invited, %d accepted", st.Summary.Sent, st.Summary.Desired, st.Summary.Accepted)})
	st.ObservedGeneration = obj.Generation
	ledger.Sort(st)
	return h.Client.Status().Update(ctx, obj)
}

// newInviteWaits creates one more object per provider type, with the bench's kubectl-equal requests so
// that the clock starts at the create itself, not at a kubectl process's start, and returns how long each
// waited until its first invite reached the sandbox (-1: not within the bound).
func newInviteWaits(ctx context.Context, c config, h *harness.Harness, n int) (map[invv1.ProviderType]float64, error) {
	fresh := objects(h, c, n, 2, nil)
	wixMark, wpMark := len(h.Wix.Snapshot().Ledger), len(h.WP.Snapshot().Ledger)
	createdAt := time.Now()
	for k, o := range fresh {
		if err := h.Apply(ctx, o, harness.ModeOf(n+k)); err != nil {
			return nil, err
		}
	}
	waits := map[invv1.ProviderType]float64{invv1.ProviderWix: -1, invv1.ProviderWordPress: -1}
	deadline := createdAt.Add(c.refresh.newTimeout)
	for time.Now().Before(deadline) && (waits[invv1.ProviderWix] < 0 || waits[invv1.ProviderWordPress] < 0) {
		for _, p := range []struct {
			t     invv1.ProviderType
			since func(int) []sandbox.Delivery
			mark  int
		}{{invv1.ProviderWix, h.Wix.LedgerSince, wixMark}, {invv1.ProviderWordPress, h.WP.LedgerSince, wpMark}} {
			if waits[p.t] >= 0 {
				continue
			}
			for _, d := range p.since(p.mark) {
				if freshEmail(fresh, p.t, d.Email) {
					waits[p.t] = d.At.Sub(createdAt).Seconds()
					break
				}
			}
		}
		if !sleepUntil(ctx.Done(), time.Now().Add(200*time.Millisecond)) {
			return nil, ctx.Err()
		}
	}
	return waits, nil
}
