package controller

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
)

// The fleet gauges: where every SiteInvitation and every person stands, read from status at scrape
// time. Their labels are bounded like the counters' (namespace, provider type, state, condition type,
// status and reason are small fixed sets); only the opt-in per-object gauge names objects.
var (
	peopleDesc = prometheus.NewDesc("invitation_operator_people",
		"Desired emails by where they stand: Pending, Accepted, Expired, Revoked (status.sent), Failed, InFlight, Queued.",
		[]string{labelNamespace, labelProvider, "state"}, nil)
	failedPeopleDesc = prometheus.NewDesc("invitation_operator_failed_people",
		"Desired emails in status.failed, by reason (OutcomeUnknown waits for a human).",
		[]string{labelNamespace, labelProvider, labelReason}, nil)
	byConditionDesc = prometheus.NewDesc("invitation_operator_siteinvitations_by_condition",
		"SiteInvitations by condition type, status and reason; filter on type (each object counts once per condition it has). "+
			"An object without conditions counts as Ready=Unknown.",
		[]string{labelNamespace, labelProvider, "type", "status", labelReason}, nil)
	conditionDesc = prometheus.NewDesc("invitation_operator_siteinvitation_condition",
		"1 for each condition of each SiteInvitation (opt-in: --metrics-per-object-conditions; one series per object and condition).",
		[]string{labelNamespace, "name", "type", "status", labelReason}, nil)
)

// FleetCollector reports the fleet gauges from the manager's informer cache at scrape time. Reading
// status when Prometheus asks, instead of counting in every reconcile, keeps the gauges consistent with
// the objects by construction: a crash, a deleted object or another manager's write cannot leave a
// stale count behind. Only the leader reports (Elected), so standby replicas do not double every series;
// each shard reports the objects of its own cache.
type FleetCollector struct {
	// Reader lists SiteInvitations; the manager's cache (no API request per scrape).
	Reader client.Reader
	// Elected is closed once this manager leads (controller-runtime closes it at once without leader
	// election); nil means always.
	Elected <-chan struct{}
	// PerObjectConditions adds invitation_operator_siteinvitation_condition: one series per object and
	// condition, whose cost is measured in docs/metrics.md.
	PerObjectConditions bool
	// Timeout bounds one listing (the cache answers from memory once synced); zero means 5 seconds.
	Timeout time.Duration
}

var _ prometheus.Collector = (*FleetCollector)(nil)

// Describe sends the descriptors of the gauges this collector reports.
func (c *FleetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- peopleDesc
	ch <- failedPeopleDesc
	ch <- byConditionDesc
	if c.PerObjectConditions {
		ch <- conditionDesc
	}
}

// Collect lists the SiteInvitations and sends the gauges. A listing that fails (a cache not synced yet)
// sends nothing: an absent series is honest, a zero would claim an empty fleet.
func (c *FleetCollector) Collect(ch chan<- prometheus.Metric) {
	if c.Elected != nil {
		select {
		case <-c.Elected:
		default:
			return
		}
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var list invv1.SiteInvitationList
	// The collector only reads: sharing the cache's objects instead of deep-copying them keeps a scrape
	// of thousands of objects from copying every status.
	if err := c.Reader.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		logf.FromContext(ctx).WithName("metrics").V(1).Info("Fleet gauges skipped", "error", err.Error())
		return
	}
	var t fleetTally
	for i := range list.Items {
		t.add(&list.Items[i])
		if c.PerObjectConditions {
			sendObjectConditions(ch, &list.Items[i])
		}
	}
	t.send(ch)
}

type groupKey struct{ namespace, provider string }

type reasonKey struct {
	groupKey
	reason string
}

type conditionKey struct {
	groupKey
	typ, status, reason string
}

// fleetTally sums one scrape's objects.
type fleetTally struct {
	people     map[groupKey]map[ledger.Standing]int
	failed     map[reasonKey]int
	conditions map[conditionKey]int
}

func (t *fleetTally) add(obj *invv1.SiteInvitation) {
	if t.people == nil {
		t.people, t.failed, t.conditions = map[groupKey]map[ledger.Standing]int{}, map[reasonKey]int{}, map[conditionKey]int{}
	}
	g := groupKey{obj.Namespace, string(obj.Spec.Provider)}
	counts := t.people[g]
	if counts == nil {
		counts = make(map[ledger.Standing]int, len(ledger.AllStandings))
		t.people[g] = counts
	}
	for _, p := range ledger.People(&obj.Spec, &obj.Status) {
		counts[p.Standing]++
		if p.Standing == ledger.StandingFailed {
			t.failed[reasonKey{g, p.Failed.Reason}]++
		}
	}
	forEachCondition(obj, func(typ, status, reason string) {
		t.conditions[conditionKey{g, typ, status, reason}]++
	})
}

func (t *fleetTally) send(ch chan<- prometheus.Metric) {
	for g, counts := range t.people {
		// Every state, zeros included, so that an alert on one state has a series to compare.
		for _, s := range ledger.AllStandings {
			ch <- prometheus.MustNewConstMetric(peopleDesc, prometheus.GaugeValue, float64(counts[s]), g.namespace, g.provider, string(s))
		}
	}
	for k, n := range t.failed {
		ch <- prometheus.MustNewConstMetric(failedPeopleDesc, prometheus.GaugeValue, float64(n), k.namespace, k.provider, k.reason)
	}
	for k, n := range t.conditions {
		ch <- prometheus.MustNewConstMetric(byConditionDesc, prometheus.GaugeValue, float64(n), k.namespace, k.provider, k.typ, k.status, k.reason)
	}
}

func sendObjectConditions(ch chan<- prometheus.Metric, obj *invv1.SiteInvitation) {
	forEachCondition(obj, func(typ, status, reason string) {
		ch <- prometheus.MustNewConstMetric(conditionDesc, prometheus.GaugeValue, 1, obj.Namespace, obj.Name, typ, status, reason)
	})
}

// forEachCondition calls fn for each of the object's conditions, and once with Ready=Unknown for an
// object the operator has not written yet, so that counting type="Ready" counts every object.
func forEachCondition(obj *invv1.SiteInvitation, fn func(typ, status, reason string)) {
	if len(obj.Status.Conditions) == 0 {
		fn(invv1.ConditionReady, "Unknown", "")
		return
	}
	for _, c := range obj.Status.Conditions {
		fn(c.Type, string(c.Status), c.Reason)
	}
}
