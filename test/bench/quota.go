package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/sandbox"
	"github.com/siteops/invitation-operator/test/harness"
)

// quotaConfig shapes the quota scenario.
type quotaConfig struct {
	objects        int
	wixRate        int
	wpRate         int
	burst          int
	serverFraction float64
	serverBurst    int
	warmup         time.Duration
	window         time.Duration
}

func (q *quotaConfig) flags() {
	flag.IntVar(&q.objects, "quota-objects", 250, "quota: SiteInvitations in the backlog (× -emails each; 250 × 20 = 5,000 emails).")
	flag.IntVar(&q.wixRate, "quota-wix", 100, "quota: the Wix InvitationProvider's spec.rateLimit.requestsPerMinute.")
	flag.IntVar(&q.wpRate, "quota-wordpress", 60, "quota: the WordPress.com InvitationProvider's spec.rateLimit.requestsPerMinute.")
	flag.IntVar(&q.burst, "quota-burst", 5, "quota and refresh: spec.rateLimit.burst of both providers (the CRD allows 1 to 100).")
	flag.Float64Var(&q.serverFraction, "quota-server-fraction", 0.5,
		"quota, part two: the sandboxes' own limit as a fraction of the configured one (0.5: Wix 50/min against 100 configured).")
	flag.IntVar(&q.serverBurst, "quota-server-burst", 5, "quota: the sandboxes' own burst.")
	flag.DurationVar(&q.warmup, "quota-warmup", 30*time.Second, "quota: time from the first create to the start of the measured window.")
	flag.DurationVar(&q.window, "quota-window", 3*time.Minute, "quota: the measured window (it must end before the backlog drains).")
}

// QuotaProvider is one provider's figures in one part of the quota scenario.
type QuotaProvider struct {
	Provider string `json:"provider"`
	// Configured is spec.rateLimit.requestsPerMinute; Server the sandbox's own limit per minute.
	Configured int     `json:"configuredPerMinute"`
	Server     int     `json:"serverPerMinute"`
	Share      float64 `json:"achievedShareOfConfigured"`
	// ShareOfServer is the achieved rate as a share of the server's limit.
	ShareOfServer float64 `json:"achievedShareOfServer"`
	Window
	// Delivered is how many of the backlog's emails the provider had received when the window closed.
	Delivered int `json:"delivered"`
	Backlog   int `json:"backlog"`
}

// QuotaPart is one part of the quota scenario.
type QuotaPart struct {
	Name       string          `json:"name"`
	Providers  []QuotaProvider `json:"providers"`
	Duplicates int             `json:"duplicates"`
}

// runQuota is make bench-quota: a backlog of invites against realistic configured limits, first with
// providers whose own limit is the configured one (the operator must use it to the last request without
// a 429), then with providers whose own limit is below it (429s must stay bounded, Retry-After honoured,
// the rate settle near the provider's real limit).
func runQuota(c config) error {
	q := c.quota
	server := func(perMinute float64) sandbox.RateLimit {
		return sandbox.RateLimit{RequestsPerMinute: int(perMinute), Burst: q.serverBurst}
	}
	var parts []QuotaPart
	for _, p := range []struct {
		name     string
		fraction float64
	}{{"provider limit = configured", 1}, {fmt.Sprintf("provider limit = %.0f%% of configured", 100*q.serverFraction), q.serverFraction}} {
		part, err := quotaPart(c, p.name, server(float64(q.wixRate)*p.fraction), server(float64(q.wpRate)*p.fraction))
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		parts = append(parts, part)
	}
	fmt.Printf("\nquota: %d objects × %d emails (%d emails), 1 InvitationProvider per type (Wix %d/min, WordPress.com %d/min, burst %d), "+
		"%d workers, resync %s, sandbox latency %s; window %s from %s after the first create\n", q.objects, c.emails, q.objects*c.emails,
		q.wixRate, q.wpRate, q.burst, c.workers, c.resync, c.latency, q.window, q.warmup)
	fmt.Printf("\n%-34s %-13s %10s %8s %10s %7s %7s %8s %6s %7s %-12s  %s\n", "part", "provider", "configured", "server", "achieved",
		"of conf", "of serv", "429s", "early", "sent", "429/min", "calls in window")
	for _, part := range parts {
		for _, p := range part.Providers {
			fmt.Printf("%-34s %-13s %10d %8d %10.1f %6.1f%% %6.1f%% %8d %6d %7d %-12s  %s\n", part.Name, p.Provider, p.Configured, p.Server,
				p.PerMinute, 100*p.Share, 100*p.ShareOfServer, p.Refused, p.Early, p.Delivered, fmt.Sprint(p.RefusedPerMinute), byOp(p.ByOp))
		}
	}
	for _, part := range parts {
		for _, p := range part.Providers {
			if p.Delivered >= p.Backlog {
				fmt.Printf("WARNING: %s, %s: the backlog was done before the window closed; the rate above counts idle time\n", part.Name, p.Provider)
			}
		}
	}
	fmt.Println("\ntargets (printed, not enforced):")
	for _, p := range parts[0].Providers {
		fmt.Printf("  %s: achieved >= 95%% of the configured %d/min with 0 429s: %.1f%%, %d 429s — %s\n", p.Provider, p.Configured,
			100*p.Share, p.Refused, metOrNot(p.Share >= 0.95 && p.Refused == 0))
	}
	for _, p := range parts[1].Providers {
		fmt.Printf("  %s against a provider limit of %d/min: %d 429s (%.1f a minute), %d requests before their Retry-After "+
			"(at worst %.1f s early), achieved %.1f/min = %.0f%% of the provider's limit\n", p.Provider, p.Server, p.Refused,
			float64(p.Refused)/(p.Seconds/60), p.Early, p.EarlyMaxSeconds, p.PerMinute, 100*p.ShareOfServer)
	}
	return writeResults(c, map[string]any{keyObjects: q.objects, "burst": q.burst, "serverBurst": q.serverBurst,
		"warmup": q.warmup.String(), "window": q.window.String(), "parts": parts})
}

func metOrNot(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}

// quotaPart runs one part on a fresh world: the backlog created at once, the manager working it off, the
// sandboxes' call logs read over the window.
func quotaPart(c config, name string, wixServer, wpServer sandbox.RateLimit) (QuotaPart, error) {
	q, n := c.quota, c.quota.objects
	part := QuotaPart{Name: name}
	h, ctx, stop, err := start(c, n, harness.Options{
		WixRate:       &invv1.RateLimit{RequestsPerMinute: int32(q.wixRate), Burst: int32(q.burst)},
		WordPressRate: &invv1.RateLimit{RequestsPerMinute: int32(q.wpRate), Burst: int32(q.burst)},
		WixLimit:      wixServer, WordPressLimit: wpServer,
	})
	if err != nil {
		return part, err
	}
	defer stop()
	m, err := startManager(ctx, c, h, fmt.Sprintf("manager-quota-%d.log", wixServer.RequestsPerMinute))
	if err != nil {
		return part, err
	}
	defer m.Stop()
	begin := time.Now()
	if err := create(ctx, h, c.create, objects(h, c, 0, n, nil)); err != nil {
		return part, err
	}
	from := begin.Add(q.warmup)
	to := from.Add(q.window)
	fmt.Fprintf(os.Stderr, "quota %q: backlog created in %.1f s; measuring until %s\n", name, time.Since(begin).Seconds(), to.Format(time.TimeOnly))
	if !sleepUntil(ctx.Done(), to) {
		return part, ctx.Err()
	}
	for _, p := range []struct {
		name       string
		store      interface{ CallLog() []sandbox.Call }
		snap       sandbox.Snapshot
		configured int
		server     sandbox.RateLimit
		objects    int
	}{
		{providerWix, h.Wix, h.Wix.Snapshot(), q.wixRate, wixServer, (n + 1) / 2},
		{providerWordPress, h.WP, h.WP.Snapshot(), q.wpRate, wpServer, n / 2},
	} {
		log := p.store.CallLog()
		if err := saveCallLog(c, fmt.Sprintf("quota-%d-%s", wixServer.RequestsPerMinute, p.name), log); err != nil {
			return part, err
		}
		w := window(log, from, to)
		qp := QuotaProvider{Provider: p.name, Configured: p.configured, Server: p.server.RequestsPerMinute, Window: w,
			Share: w.PerMinute / float64(p.configured), Delivered: len(p.snap.Ledger), Backlog: p.objects * c.emails}
		if qp.Server > 0 {
			qp.ShareOfServer = w.PerMinute / float64(qp.Server)
		}
		part.Providers = append(part.Providers, qp)
		part.Duplicates += len(p.snap.Duplicates)
	}
	return part, nil
}
