package controller

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/siteops/invitation-operator/internal/provider"
)

// Label names shared by the counters and the fleet gauges.
const (
	labelProvider  = "provider"
	labelNamespace = "namespace"
	labelReason    = "reason"
)

// Metrics are the operator's own series. Labels are bounded: provider type, namespace, operation, HTTP
// code, failure reason — never an email or an object name.
type Metrics struct {
	InvitesSent     *prometheus.CounterVec
	Failures        *prometheus.CounterVec
	UnknownOutcomes *prometheus.CounterVec
	Revoked         *prometheus.CounterVec
	Resent          *prometheus.CounterVec
	// RefreshesDeferred counts looks at pending invites put off because sends were waiting or the
	// provider's read share was spent.
	RefreshesDeferred *prometheus.CounterVec
	StatusWrites      *prometheus.CounterVec
	ProviderRequests  *prometheus.CounterVec
	ProviderLatency   *prometheus.HistogramVec
	LimiterWait       *prometheus.HistogramVec
}

// NewMetrics creates the series and registers them with reg (the controller-runtime registry in the
// manager; a fresh registry in tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns = "invitation_operator"
	m := &Metrics{
		InvitesSent: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "invites_sent_total",
			Help: "Invites the provider accepted."}, []string{labelProvider, labelNamespace}),
		Failures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "invite_failures_total",
			Help: "Emails a send did not invite, by reason."}, []string{labelProvider, labelNamespace, labelReason}),
		UnknownOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "unknown_outcomes_total",
			Help: "Emails whose send got no usable answer (settled later, or recorded as OutcomeUnknown)."}, []string{labelProvider, labelNamespace}),
		Revoked: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "invites_revoked_total",
			Help: "Pending invites revoked (removalPolicy Revoke)."}, []string{labelProvider, labelNamespace}),
		Resent: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "invites_resent_total",
			Help: "Invites emailed again (spec.resendPolicy and the resend annotation)."}, []string{labelProvider, labelNamespace}),
		RefreshesDeferred: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "refreshes_deferred_total",
			Help: "Looks at pending invites put off because sends were waiting or the provider's read share was spent."}, []string{labelProvider}),
		StatusWrites: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "status_writes_total",
			Help: "SiteInvitation status writes."}, []string{labelNamespace}),
		ProviderRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "provider_requests_total",
			Help: "HTTP requests to providers, by operation and status code (0: no answer)."}, []string{labelProvider, "op", "code"}),
		ProviderLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "provider_request_duration_seconds",
			Help: "Latency of provider HTTP requests.", Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10)}, []string{labelProvider, "op"}),
		LimiterWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "rate_limiter_wait_seconds",
			Help: "Time requests waited for the provider's shared rate limiter.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, []string{labelProvider}),
	}
	reg.MustRegister(m.InvitesSent, m.Failures, m.UnknownOutcomes, m.Revoked, m.Resent, m.RefreshesDeferred, m.StatusWrites,
		m.ProviderRequests, m.ProviderLatency, m.LimiterWait)
	return m
}

var _ provider.RequestObserver = (*Metrics)(nil)

// ObserveRequest counts one provider request.
func (m *Metrics) ObserveRequest(p provider.Type, op string, code int, took time.Duration) {
	m.ProviderRequests.WithLabelValues(string(p), op, strconv.Itoa(code)).Inc()
	m.ProviderLatency.WithLabelValues(string(p), op).Observe(took.Seconds())
}

// ObserveLimiterWait records a wait on a provider's rate limiter.
func (m *Metrics) ObserveLimiterWait(p provider.Type, waited time.Duration) {
	m.LimiterWait.WithLabelValues(string(p)).Observe(waited.Seconds())
}
