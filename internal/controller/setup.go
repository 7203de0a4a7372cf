package controller

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// Options configure the controllers; cmd/manager fills them from flags, tests directly.
type Options struct {
	Workers              int
	ResyncPeriod         time.Duration
	SendDeadline         time.Duration
	ProviderPollInterval time.Duration
	ProviderTimeout      time.Duration
	// RetryBase is the first delay after a transient failure; zero means ledger.DefaultRetryBase.
	RetryBase time.Duration
	// NewClient builds provider clients: providers.New in the manager, fakes or sandbox-backed in tests.
	NewClient func(provider.Config) (provider.Client, error)
	// BaseURLs override provider endpoints for every provider object (sandbox, local runs).
	BaseURLs map[provider.Type]string
	// ClusterResourceNamespace is the only namespace a ClusterInvitationProvider's Secret may live in.
	ClusterResourceNamespace string
	// SecretReader reads provider Secrets; nil means the manager's uncached API reader (tests count reads).
	SecretReader client.Reader
	// Network says where provider clients may connect (allowed private ranges).
	Network provider.Network
	// ReadShare is the share of each provider's rate that background reads may use (0: the default).
	ReadShare  float64
	Registerer prometheus.Registerer
	// PerObjectConditions adds the opt-in gauge of every SiteInvitation's conditions
	// (invitation_operator_siteinvitation_condition), one series per object and condition.
	PerObjectConditions bool
	Clock               clock.Clock
	Hooks               Hooks
}

// Setup builds the three controllers around one shared Providers and registers them with mgr.
func Setup(mgr ctrl.Manager, o Options) error {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	metrics := NewMetrics(o.Registerer)
	if err := o.Registerer.Register(&FleetCollector{Reader: mgr.GetCache(), Elected: mgr.Elected(),
		PerObjectConditions: o.PerObjectConditions}); err != nil {
		return fmt.Errorf("registering the fleet gauges: %w", err)
	}
	if o.SecretReader == nil {
		o.SecretReader = mgr.GetAPIReader()
	}
	providers := &Providers{SecretReader: o.SecretReader, NewClient: o.NewClient, BaseURLs: o.BaseURLs,
		Timeout: o.ProviderTimeout, Observer: metrics, ClusterResourceNamespace: o.ClusterResourceNamespace, Network: o.Network,
		ReadShare: o.ReadShare}
	recorder := boundedRecorder{mgr.GetEventRecorder("invitation-operator")}
	si := &SiteInvitationReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(),
		Recorder: recorder, Providers: providers, Metrics: metrics, Clock: o.Clock, ResyncPeriod: o.ResyncPeriod,
		SendDeadline: o.SendDeadline, RetryBase: o.RetryBase, Hooks: o.Hooks}
	if err := si.SetupWithManager(mgr, o.Workers); err != nil {
		return err
	}
	for _, kind := range []string{invv1.InvitationProviderKind, invv1.ClusterInvitationProviderKind} {
		pr := &ProviderReconciler{Client: mgr.GetClient(), Kind: kind, Providers: providers, Recorder: recorder, Clock: o.Clock,
			PollInterval: o.ProviderPollInterval, ResyncPeriod: o.ResyncPeriod}
		if err := pr.SetupWithManager(mgr); err != nil {
			return err
		}
	}
	return nil
}

// DefaultLeaderElectionID is the Lease of an install that is not sharded; it never changes, so a rolling
// upgrade never has two leaders.
const DefaultLeaderElectionID = "invitation-operator.invitations.siteops.dev"

// LeaderElectionID names the Lease for a shard: one per shard selector, so that two sharded installs in
// one namespace each elect their own leader instead of one of them idling.
func LeaderElectionID(shardSelector string) string {
	if shardSelector == "" {
		return DefaultLeaderElectionID
	}
	sum := sha256.Sum256([]byte(shardSelector))
	return fmt.Sprintf("invitation-operator-%x.invitations.siteops.dev", sum[:5])
}

// lastAppliedAnnotation is where client-side `kubectl apply` keeps a copy of the whole object.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// TrimForCache is the manager cache's transform: it drops from every cached object what no reconciler
// reads — managedFields, and kubectl's last-applied annotation, a second copy of the spec (for a
// SiteInvitation of 500 emails, about 130 KiB). The operator writes only status (through the status
// subresource, which ignores metadata) and patches finalizers, so nothing it writes depends on them.
// A SiteInvitation is also compacted (compactForCache).
func TrimForCache(obj any) (any, error) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return obj, nil
	}
	if si, ok := obj.(*invv1.SiteInvitation); ok {
		compactForCache(si)
	}
	o.SetManagedFields(nil)
	if ann := o.GetAnnotations(); ann != nil {
		if _, ok := ann[lastAppliedAnnotation]; ok {
			delete(ann, lastAppliedAnnotation)
			if len(ann) == 0 {
				ann = nil
			}
			o.SetAnnotations(ann)
		}
	}
	return obj, nil
}

// compactForCache makes a decoded SiteInvitation smaller without changing a value: the JSON decoder
// grows every list by doubling (20 sent entries get room for 32), and allocates every string again. The
// lists are cut to their length; a sent entry's email is the spec's own string, its roles the spec's
// roles when equal, and its state one of the API's constants. Cached objects are never written (readers
// get deep copies), so sharing is safe.
func compactForCache(si *invv1.SiteInvitation) {
	si.Spec.Emails = cloneTight(si.Spec.Emails)
	spec := make(map[string]string, len(si.Spec.Emails))
	for _, e := range si.Spec.Emails {
		spec[e] = e
	}
	st := &si.Status
	st.Sent = cloneTight(st.Sent)
	for i := range st.Sent {
		s := &st.Sent[i]
		if e, ok := spec[s.Email]; ok {
			s.Email = e
		}
		if slices.Equal(s.Roles, si.Spec.Roles) {
			s.Roles = si.Spec.Roles
		}
		switch s.State {
		case invv1.InvitationPending:
			s.State = invv1.InvitationPending
		case invv1.InvitationAccepted:
			s.State = invv1.InvitationAccepted
		case invv1.InvitationExpired:
			s.State = invv1.InvitationExpired
		case invv1.InvitationRevoked:
			s.State = invv1.InvitationRevoked
		}
	}
	st.Failed = cloneTight(st.Failed)
	for i := range st.Failed {
		if e, ok := spec[st.Failed[i].Email]; ok {
			st.Failed[i].Email = e
		}
	}
	st.Conditions = cloneTight(st.Conditions)
}

// cloneTight returns s in an array of exactly its length when the decoder left spare room, else s (an
// empty list stays empty, not nil: status comparisons see no change).
func cloneTight[S ~[]E, E any](s S) S {
	if cap(s) == len(s) || len(s) == 0 {
		return s
	}
	out := make(S, len(s))
	copy(out, s)
	return out
}
