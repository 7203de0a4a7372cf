package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// ProviderReconciler checks the credential of InvitationProviders or ClusterInvitationProviders (one
// instance per kind). It re-reads the Secret every PollInterval while the provider is not Ready and every
// ResyncPeriod while it is, because the operator may only get Secrets, not watch them; a changed Secret
// changes the provider's status, which re-queues exactly the SiteInvitations that use the provider.
type ProviderReconciler struct {
	client.Client
	Kind         string
	Providers    *Providers
	Recorder     events.EventRecorder
	Clock        clock.Clock
	PollInterval time.Duration
	ResyncPeriod time.Duration
	// Rand returns jitter in [0,1); nil means math/rand.
	Rand func() float64

	verified refreshTimes
}

// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=invitationproviders;clusterinvitationproviders,verbs=get;list;watch
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=invitationproviders/status;clusterinvitationproviders/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

func (r *ProviderReconciler) newObject() client.Object {
	if r.Kind == invv1.ClusterInvitationProviderKind {
		return &invv1.ClusterInvitationProvider{}
	}
	return &invv1.InvitationProvider{}
}

// Reconcile reads the Secret, checks the credential's shape and, when the Secret or spec changed (or a
// resync period passed), makes the provider's cheapest authenticated read to prove it works.
func (r *ProviderReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := r.newObject()
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			key := providerKey(r.Kind, req.Namespace, req.Name)
			r.Providers.Forget(key)
			r.verified.forget(key)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	v := viewOf(obj)
	st := v.Status.DeepCopy()
	c, wait := r.check(ctx, v, st)
	if c.Ready {
		c = admission(v, c)
	}
	setConditions(&st.Conditions, obj.GetGeneration(), c)
	st.ObservedGeneration = obj.GetGeneration()
	if !equality.Semantic.DeepEqual(*v.Status, *st) {
		*v.Status = *st
		if err := r.Status().Update(ctx, obj); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{RequeueAfter: time.Second}, nil // re-read and decide again
			}
			return ctrl.Result{}, err
		}
		if !c.Ready {
			r.Recorder.Eventf(obj, nil, "Warning", c.Reason, "Verify", "%s", c.Message)
		}
	}
	return ctrl.Result{RequeueAfter: wait}, nil
}

// check decides the Ready condition and when to look again.
func (r *ProviderReconciler) check(ctx context.Context, v providerView, st *invv1.ProviderStatus) (conditionState, time.Duration) {
	h, err := r.Providers.Load(ctx, v.Object)
	var ce *configError
	switch {
	case errors.As(err, &ce):
		st.SecretResourceVersion = ""
		return conditionState{Stalled: true, Reason: ce.Reason, Message: ce.Message}, r.PollInterval
	case err != nil:
		return conditionState{Reconciling: true, Reason: invv1.ReasonProviderNotReady, Message: err.Error()}, r.PollInterval
	}
	st.SecretResourceVersion = h.SecretVersion
	if msg := h.Rejected(); msg != "" {
		return conditionState{Stalled: true, Reason: invv1.ReasonCredentialRejected, Message: "the provider rejected the credential: " + msg}, r.PollInterval
	}
	prev := meta.FindStatusCondition(v.Status.Conditions, invv1.ConditionReady)
	stillGood := prev != nil && prev.ObservedGeneration == v.Object.GetGeneration() &&
		v.Status.SecretResourceVersion == h.SecretVersion && r.Clock.Now().Before(r.verified.last(v.Key).Add(r.ResyncPeriod*8/10))
	switch {
	case stillGood && prev.Status == metav1.ConditionTrue:
		return conditionState{Ready: true, Reason: prev.Reason, Message: prev.Message}, r.resync()
	case stillGood && (prev.Reason == invv1.ReasonNoNamespaceSelector || prev.Reason == invv1.ReasonInvalidNamespaceSelector):
		// The credential was verified this period; only the admission is wrong, and admission() says so.
		return conditionState{Ready: true, Reason: invv1.ReasonVerified, Message: "the provider accepted the credential"}, r.resync()
	}
	// A routine check: a background read, within the provider's read share and behind any send.
	err = h.Client.Verify(provider.Background(ctx))
	var (
		cred *provider.CredentialError
		perm *provider.PermanentError
	)
	switch {
	case err == nil:
		r.verified.mark(v.Key, r.Clock.Now())
		return conditionState{Ready: true, Reason: invv1.ReasonVerified, Message: "the provider accepted the credential"}, r.resync()
	case errors.As(err, &perm):
		// A key of another kind than declared, an endpoint the operator may not reach: only a human helps.
		return conditionState{Stalled: true, Reason: perm.Reason, Message: "checking the credential failed: " + err.Error()}, r.PollInterval
	case errors.Is(err, provider.ErrNotVerifiable):
		r.verified.mark(v.Key, r.Clock.Now())
		return conditionState{Ready: true, Reason: invv1.ReasonCredentialPresent, Message: "the credential is present and well formed; " +
			"the provider offers no cheap check for it (set spec.wix.accountID to verify a Wix key), so the first send checks it"}, r.resync()
	case errors.As(err, &cred):
		h.MarkRejected(cred.Message)
		logf.FromContext(ctx).Info("Provider rejected the credential", "provider", v.Key, "status", cred.StatusCode)
		return conditionState{Stalled: true, Reason: invv1.ReasonCredentialRejected, Message: "the provider rejected the credential: " + err.Error()}, r.PollInterval
	}
	return conditionState{Reconciling: true, Reason: invv1.ReasonProviderNotReady, Message: fmt.Sprintf("checking the credential failed: %v", err)}, r.PollInterval
}

func (r *ProviderReconciler) resync() time.Duration { return jittered(r.ResyncPeriod, random(r.Rand)) }

// admission turns a working ClusterInvitationProvider's Ready condition false when it admits no namespace
// (no namespaceSelector: the secure default) or its selector does not parse, saying exactly what to set.
func admission(v providerView, c conditionState) conditionState {
	if v.Kind != invv1.ClusterInvitationProviderKind {
		return c
	}
	if v.Selector == nil {
		return conditionState{Stalled: true, Reason: invv1.ReasonNoNamespaceSelector, Message: "the credential works, but " +
			"spec.namespaceSelector is not set, so no namespace may use this provider: set spec.namespaceSelector: {} to admit every " +
			"namespace, or matchLabels/matchExpressions to admit some (until v0.2 an absent selector admitted every namespace)"}
	}
	if _, err := metav1.LabelSelectorAsSelector(v.Selector); err != nil {
		return conditionState{Stalled: true, Reason: invv1.ReasonInvalidNamespaceSelector,
			Message: "spec.namespaceSelector does not parse, so no namespace may use this provider: " + err.Error()}
	}
	return c
}
