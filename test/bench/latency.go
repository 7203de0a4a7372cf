package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/test/harness"
)

// latencyConfig shapes the latency scenario.
type latencyConfig struct {
	objects int
	runs    int
}

func (l *latencyConfig) flags() {
	flag.IntVar(&l.objects, "latency-objects", 1000, "latency: Ready SiteInvitations in the cluster before the measured creates.")
	flag.IntVar(&l.runs, "latency-runs", 30, "latency: measured creates per provider type, one at a time.")
}

// Percentiles are one set of create → Ready times.
type Percentiles struct {
	Samples []float64 `json:"samplesSeconds"`
	P50     float64   `json:"p50Seconds"`
	P99     float64   `json:"p99Seconds"`
	Max     float64   `json:"maxSeconds"`
}

func percentiles(s []float64) Percentiles {
	sorted := append([]float64(nil), s...)
	sort.Float64s(sorted)
	// Nearest rank: with 30 samples the p99 is the largest.
	rank := func(p float64) float64 {
		if len(sorted) == 0 {
			return 0
		}
		i := int(float64(len(sorted))*p+0.999999) - 1
		return sorted[min(max(i, 0), len(sorted)-1)]
	}
	p := Percentiles{Samples: s, P50: rank(0.5), P99: rank(0.99)}
	if len(sorted) > 0 {
		p.Max = sorted[len(sorted)-1]
	}
	return p
}

// LatencyProvider is one provider type's figures.
type LatencyProvider struct {
	Provider string      `json:"provider"`
	Manager  Percentiles `json:"manager"`
	Floor    Percentiles `json:"floor"`
}

// runLatency is make bench-latency: the manager brings N objects to Ready; then, one at a time, one more
// object is created and timed until the manager shows it Ready (runs per provider type, alternating).
// Then, with the manager stopped, the floor: the same kind of object created and its own minimal calls
// made by a plain client (the adoption list for WordPress.com; per batch the intent write, the provider
// call, the outcome write), timed the same way, in the same cluster.
func runLatency(c config) error {
	l, n := c.lat, c.lat.objects
	h, ctx, stop, err := start(c, n, harness.Options{})
	if err != nil {
		return err
	}
	defer stop()
	m, err := startManager(ctx, c, h, "manager-latency.log")
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			m.Stop()
		}
	}()
	if err := create(ctx, h, c.create, objects(h, c, 0, n, nil)); err != nil {
		return err
	}
	if _, err := h.WaitFor(ctx, n, harness.Settled, 250*time.Millisecond); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "latency: %d objects Ready; measuring %d creates per provider type\n", n, l.runs)
	samples := map[invv1.ProviderType][]float64{}
	for k := range 2 * l.runs {
		obj := h.Object(n+k, c.emails, c.providers, nil)
		d, err := timeToReady(ctx, h, obj, harness.ModeOf(n+k))
		if err != nil {
			return fmt.Errorf("%s: %w", obj.Name, err)
		}
		samples[obj.Spec.Provider] = append(samples[obj.Spec.Provider], d.Seconds())
	}
	m.Stop()
	stopped = true

	clients, err := floorClients(h)
	if err != nil {
		return err
	}
	floor := map[invv1.ProviderType][]float64{}
	for k := range 2 * l.runs {
		i := n + 2*l.runs + k
		obj := h.Object(i, c.emails, c.providers, nil)
		begin := time.Now()
		if err := h.Apply(ctx, obj, harness.ModeOf(i)); err != nil {
			return err
		}
		if err := floorWork(ctx, h, clients, obj); err != nil {
			return err
		}
		floor[obj.Spec.Provider] = append(floor[obj.Spec.Provider], time.Since(begin).Seconds())
	}

	var out []LatencyProvider
	for _, p := range []struct {
		name string
		t    invv1.ProviderType
	}{{providerWix, invv1.ProviderWix}, {providerWordPress, invv1.ProviderWordPress}} {
		out = append(out, LatencyProvider{Provider: p.name, Manager: percentiles(samples[p.t]), Floor: percentiles(floor[p.t])})
	}
	fmt.Printf("\nlatency: create → Ready of one more object among %d Ready ones, %d runs per provider type, one at a time; %d emails each, "+
		"sandbox latency %s, %d workers, %d providers per type (high rate limits), resync %s\n", n, l.runs, c.emails, c.latency, c.workers,
		c.providers, c.resync)
	fmt.Printf("\n%-13s %10s %10s %10s %10s %10s %10s\n", "provider", "p50 s", "p99 s", "floor p50", "floor p99", "p50 ratio", "p99 ratio")
	for _, p := range out {
		fmt.Printf("%-13s %10.3f %10.3f %10.3f %10.3f %10.2f %10.2f\n", p.Provider, p.Manager.P50, p.Manager.P99, p.Floor.P50, p.Floor.P99,
			p.Manager.P50/p.Floor.P50, p.Manager.P99/p.Floor.P99)
	}
	fmt.Println("(p99 by nearest rank: with 30 runs it is the slowest run)")
	return writeResults(c, map[string]any{keyObjects: n, "runs": l.runs, "providers": out})
}

// timeToReady creates obj (the bench's kubectl-equal requests, so the clock starts at the create) and
// waits on a watch until the manager shows it Ready with every email sent.
func timeToReady(ctx context.Context, h *harness.Harness, obj *invv1.SiteInvitation, mode harness.ApplyMode) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	w, err := h.Client.Watch(ctx, &invv1.SiteInvitationList{}, client.InNamespace(obj.Namespace),
		client.MatchingFields{"metadata.name": obj.Name})
	if err != nil {
		return 0, err
	}
	defer w.Stop()
	begin := time.Now()
	if err := h.Apply(ctx, obj, mode); err != nil {
		return 0, err
	}
	for ev := range w.ResultChan() {
		o, ok := ev.Object.(*invv1.SiteInvitation)
		if !ok || ev.Type == watch.Deleted {
			continue
		}
		ready := meta.FindStatusCondition(o.Status.Conditions, invv1.ConditionReady)
		if ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == o.Generation &&
			int(o.Status.Summary.Sent) == len(o.Spec.Emails) {
			return time.Since(begin), nil
		}
	}
	return 0, fmt.Errorf("not Ready within 2 minutes: %w", ctx.Err())
}
