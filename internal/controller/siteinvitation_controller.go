package controller

import (
	"context"
	"math/rand/v2"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// FinalizerName is present on a SiteInvitation only while it has pending invites to revoke on deletion
// (removalPolicy Revoke).
const FinalizerName = "invitations.siteops.dev/revoke"

// Recorder emits Kubernetes Events (events.k8s.io); the manager's recorder implements it, tests fake it.
type Recorder interface {
	Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any)
}

// Hooks let tests stop the reconciler at the one moment that matters for idempotency. Nil in production.
type Hooks struct {
	// AfterSend runs after a provider send returned and before its outcome is written; a non-nil error
	// abandons the reconcile there, as a crash would.
	AfterSend func(obj *invv1.SiteInvitation) error
}

// SiteInvitationReconciler invites every declared email exactly once and records where each stands.
type SiteInvitationReconciler struct {
	client.Client
	// APIReader reads without the cache, to re-read an object after a write conflict.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  Recorder
	Providers *Providers
	Metrics   *Metrics
	Clock     clock.Clock
	// ResyncPeriod is how often pending invites are checked at the provider (jittered ±10%).
	ResyncPeriod time.Duration
	// SendDeadline is how long an in-flight send may still be running elsewhere; an intent record older
	// than this is settled.
	SendDeadline time.Duration
	// RetryBase is the first delay after a transient failure (doubling per attempt); zero means
	// DefaultRetryBase.
	RetryBase time.Duration
	// Rand returns jitter in [0,1); nil means math/rand.
	Rand  func() float64
	Hooks Hooks

	refreshed refreshTimes
}

// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=siteinvitations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=siteinvitations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=siteinvitations/finalizers,verbs=update
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=invitationproviders;clusterinvitationproviders,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile follows the protocol in docs/idempotency.md: deletion, suspension, validation, provider
// resolution, then the invitation work itself.
func (r *SiteInvitationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := &invv1.SiteInvitation{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if client.IgnoreNotFound(err) == nil {
			r.refreshed.forget(req.String())
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	log := logf.FromContext(ctx)

	if !obj.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, obj)
	}
	if obj.Spec.Suspend {
		return r.finish(ctx, obj, obj.Status.DeepCopy(), conditionState{Reason: ReasonSuspended,
			Message: "spec.suspend is true: no provider calls are made"}, 0)
	}
	if err := validateSpec(&obj.Spec); err != nil {
		return r.finish(ctx, obj, obj.Status.DeepCopy(), conditionState{Stalled: true, Reason: ReasonInvalidSpec, Message: err.Error()}, 0)
	}
	h, err := r.resolveProvider(ctx, obj)
	if err != nil {
		if ce, ok := err.(*configError); ok {
			log.V(1).Info("Provider not usable", "reason", ce.Reason)
			return r.finish(ctx, obj, obj.Status.DeepCopy(), conditionState{Stalled: true, Reason: ce.Reason, Message: ce.Message}, 0)
		}
		return ctrl.Result{}, err
	}
	return r.reconcile(ctx, obj, h)
}

func (r *SiteInvitationReconciler) now() time.Time { return r.Clock.Now() }

func (r *SiteInvitationReconciler) rnd() float64 {
	if r.Rand != nil {
		return r.Rand()
	}
	return rand.Float64()
}

func (r *SiteInvitationReconciler) retryBase() time.Duration {
	if r.RetryBase > 0 {
		return r.RetryBase
	}
	return DefaultRetryBase
}

// resync returns the jittered resync period, so objects created together do not refresh together.
func (r *SiteInvitationReconciler) resync() time.Duration {
	return time.Duration(float64(r.ResyncPeriod) * (0.9 + 0.2*r.rnd()))
}
