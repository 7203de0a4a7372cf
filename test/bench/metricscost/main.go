// Command metricscost measures what the fleet gauges cost the manager at scale (make bench-metrics):
// it builds N SiteInvitations in memory, serves them to the real FleetCollector the way the informer
// cache does (shared, not copied), and scrapes a Prometheus registry several times, with and without
// the opt-in per-object condition gauge. It reports series per metric, the size of one scrape in the text
// exposition format, the bytes allocated and the time per scrape (runtime.MemStats before and after), and
// the heap the collector keeps between scrapes. No API server is needed: the objects' own memory in the
// cache is measured by make bench (docs/benchmarks.md); this is what the gauges add on top.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/controller"
)

func main() {
	objects := flag.Int("objects", 10000, "SiteInvitations in the fleet.")
	emails := flag.Int("emails", 20, "Emails per SiteInvitation.")
	namespaces := flag.Int("namespaces", 50, "Namespaces the objects are spread over.")
	scrapes := flag.Int("scrapes", 5, "Scrapes measured per configuration (after one warm-up).")
	flag.Parse()
	items := fleet(*objects, *emails, *namespaces)
	fmt.Printf("%d SiteInvitations x %d emails over %d namespaces (90%% Ready, 5%% Stalled, 5%% Reconciling)\n\n",
		*objects, *emails, *namespaces)
	fmt.Printf("%-22s %-52s %8s\n", "configuration", "metric", "series")
	rows := make([]string, 0, 2)
	for _, perObject := range []bool{false, true} {
		r, err := measure(items, perObject, *scrapes)
		if err != nil {
			fmt.Fprintln(os.Stderr, "metricscost:", err)
			os.Exit(1)
		}
		name := "default"
		if perObject {
			name = "+per-object"
		}
		names := make([]string, 0, len(r.series))
		for n := range r.series {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("%-22s %-52s %8d\n", name, n, r.series[n])
		}
		rows = append(rows, fmt.Sprintf("%-22s %8d %12.1f %14.1f %12.1f %14.1f", name, r.total, float64(r.exposition)/1024,
			float64(r.allocPerScrape)/(1<<20), float64(r.perScrape.Microseconds())/1000, float64(r.retained)/1024))
	}
	fmt.Printf("\n%-22s %8s %12s %14s %12s %14s\n", "configuration", "series", "scrape KiB", "alloc MiB/scr", "ms/scrape", "retained KiB")
	for _, r := range rows {
		fmt.Println(r)
	}
}

// result is one configuration's figures.
type result struct {
	series         map[string]int
	total          int
	exposition     int
	allocPerScrape uint64
	perScrape      time.Duration
	retained       int64
}

func measure(items []invv1.SiteInvitation, perObject bool, scrapes int) (result, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(&controller.FleetCollector{Reader: sharedReader{items}, PerObjectConditions: perObject}); err != nil {
		return result{}, err
	}
	r := result{series: map[string]int{}}
	families, err := reg.Gather() // warm-up, and the series count
	if err != nil {
		return r, err
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		r.series[f.GetName()] = len(f.GetMetric())
		r.total += len(f.GetMetric())
		if err := enc.Encode(f); err != nil {
			return r, err
		}
	}
	r.exposition = buf.Len()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range scrapes {
		if _, err := reg.Gather(); err != nil {
			return r, err
		}
	}
	r.perScrape = time.Since(start) / time.Duration(scrapes)
	runtime.ReadMemStats(&after)
	r.allocPerScrape = (after.TotalAlloc - before.TotalAlloc) / uint64(scrapes) //nolint:gosec // G115: a small count
	runtime.GC()
	runtime.ReadMemStats(&after)
	r.retained = int64(after.HeapAlloc) - int64(before.HeapAlloc) //nolint:gosec // G115: heap sizes fit an int64
	return r, nil
}

// sharedReader lists the prebuilt objects without copying their contents, as the informer cache does
// for the collector (client.UnsafeDisableDeepCopy): the list holds struct copies that share every slice.
type sharedReader struct{ items []invv1.SiteInvitation }

func (s sharedReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return fmt.Errorf("not supported")
}

func (s sharedReader) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	l, ok := list.(*invv1.SiteInvitationList)
	if !ok {
		return fmt.Errorf("unexpected list %T", list)
	}
	l.Items = append(l.Items[:0], s.items...)
	return nil
}

// fleet builds n objects of e emails each: most Ready with a mix of accepted and pending invites, some
// Stalled with failures, some Reconciling with a send in flight.
func fleet(n, e, namespaces int) []invv1.SiteInvitation {
	items := make([]invv1.SiteInvitation, n)
	now := metav1.Now()
	for i := range items {
		p := invv1.ProviderWordPress
		if i%2 == 1 {
			p = invv1.ProviderWix
		}
		obj := invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("team-%02d", i%namespaces), Name: fmt.Sprintf("site-%05d", i)},
			Spec: invv1.SiteInvitationSpec{Provider: p}}
		for j := range e {
			email := fmt.Sprintf("person%03d@example.com", j)
			obj.Spec.Emails = append(obj.Spec.Emails, email)
			state := invv1.InvitationPending
			if j%3 == 0 {
				state = invv1.InvitationAccepted
			}
			obj.Status.Sent = append(obj.Status.Sent, invv1.SentInvitation{Email: email, State: state, SentAt: now})
		}
		ready := metav1.Condition{Type: invv1.ConditionReady, Status: metav1.ConditionTrue, Reason: invv1.ReasonSucceeded}
		switch i % 20 {
		case 0:
			ready.Status, ready.Reason = metav1.ConditionFalse, invv1.ReasonInvitesFailed
			obj.Status.Sent = obj.Status.Sent[1:]
			obj.Status.Failed = []invv1.FailedInvitation{{Email: obj.Spec.Emails[0], Reason: "InvalidEmail", Attempts: 1}}
			obj.Status.Conditions = []metav1.Condition{ready, {Type: invv1.ConditionStalled, Status: metav1.ConditionTrue, Reason: ready.Reason}}
		case 1:
			ready.Status, ready.Reason = metav1.ConditionFalse, invv1.ReasonWaitingForInFlight
			obj.Status.Sent = obj.Status.Sent[1:]
			obj.Status.InFlight = &invv1.InFlightBatch{Emails: obj.Spec.Emails[:1]}
			obj.Status.Conditions = []metav1.Condition{ready, {Type: invv1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: ready.Reason}}
		default:
			obj.Status.Conditions = []metav1.Condition{ready}
		}
		items[i] = obj
	}
	return items
}
