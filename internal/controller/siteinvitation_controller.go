package controller

import (
	"cmp"
	"context"
	"errors"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
)

// Hooks let tests stop the reconciler at the one moment that matters for idempotency. Nil in production.
type Hooks struct {
	// AfterSend runs after a provider send returned and before its outcome is written; a non-nil error
	// abandons the reconcile there, as a crash would.
	AfterSend func(obj *invv1.SiteInvitation) error
	// AfterResend is AfterSend for a resend: it runs after each resend call returned, before the resends'
	// outcome is written.
	AfterResend func(obj *invv1.SiteInvitation) error
}

// SiteInvitationReconciler invites every declared email exactly once and records where each stands.
type SiteInvitationReconciler struct {
	client.Client
	// APIReader reads without the cache, to re-read an object after a write conflict.
	APIReader client.Reader
	Recorder  events.EventRecorder
	Providers *Providers
	Metrics   *Metrics
	Clock     clock.Clock
	// ResyncPeriod is how often pending invites are checked at the provider (jittered ±10%).
	ResyncPeriod time.Duration
	// SendDeadline is how long an in-flight send may still be running elsewhere; an intent record older
	// than this is settled.
	SendDeadline time.Duration
	// RetryBase is the first delay after a transient failure (doubling per attempt); zero means
	// ledger.DefaultRetryBase.
	RetryBase time.Duration
	// Rand returns jitter in [0,1); nil means math/rand.
	Rand  func() float64
	Hooks Hooks

	refreshed refreshTimes
	looks     siteLooks
	lookSlots lookSlots
	// siblings queues objects whose site was just looked at for them (a shared look).
	siblings chan event.GenericEvent
}

// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=siteinvitations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=siteinvitations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=siteinvitations/finalizers,verbs=update
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=invitationproviders;clusterinvitationproviders,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile follows the protocol in docs/idempotency.md: deletion, the finalizer, suspension, validation,
// provider resolution, then the invitation work itself.
func (r *SiteInvitationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := &invv1.SiteInvitation{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.refreshed.forget(req.String())
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	res, err := r.reconcileObject(ctx, obj)
	if apierrors.IsConflict(err) {
		// Someone changed the object first (another manager, a spec edit). Every write that conflicts is
		// one whose effects are not done yet, or an outcome already re-applied to a fresh copy: look again.
		logf.FromContext(ctx).V(1).Info("Write conflicted; reconciling again")
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	return res, err
}

func (r *SiteInvitationReconciler) reconcileObject(ctx context.Context, obj *invv1.SiteInvitation) (ctrl.Result, error) {
	if !obj.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, obj)
	}
	if err := r.ensureFinalizer(ctx, obj, wantsFinalizer(obj, r.now())); err != nil {
		return ctrl.Result{}, err
	}
	st := obj.Status.DeepCopy()
	st.Plan = nil // shown only while suspended
	// Time alone expires invites, whether or not the provider can be asked; the object is woken at the
	// next expiry rather than polled.
	nextExpiry := ledger.Expire(st, r.now())
	ledger.MarkOutdated(st, &obj.Spec)
	p := &pass{obj: obj, st: st}
	if obj.Spec.Suspend {
		return r.suspended(ctx, p, nextExpiry)
	}
	if err := validateSpec(&obj.Spec); err != nil {
		return r.writeStatusAndRequeue(ctx, obj, st, conditionState{Stalled: true, Reason: invv1.ReasonInvalidSpec, Message: err.Error()}, nextExpiry)
	}
	if err := validateTokens(obj.Annotations); err != nil {
		return r.writeStatusAndRequeue(ctx, obj, st, conditionState{Stalled: true, Reason: invv1.ReasonInvalidAnnotation, Message: err.Error()}, nextExpiry)
	}
	h, err := r.resolveProvider(ctx, obj)
	var ce *configError
	if errors.As(err, &ce) {
		logf.FromContext(ctx).V(1).Info("Provider not usable", "reason", ce.Reason)
		return r.writeStatusAndRequeue(ctx, obj, st, conditionState{Stalled: true, Reason: ce.Reason, Message: ce.Message}, nextExpiry)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	p.h, p.policy = h, judgePolicy(&obj.Spec, h.view.Spec.Policy, h.view.Name())
	return r.reconcile(ctx, p)
}

// suspended writes, while spec.suspend is true, what the next pass would do (status.plan) from the same
// ledger that acts, and makes no provider call. The provider is resolved (no call) for its policy and
// capabilities; when it cannot be, the plan is made without them and its note says so.
func (r *SiteInvitationReconciler) suspended(ctx context.Context, p *pass, nextExpiry time.Time) (ctrl.Result, error) {
	c := conditionState{Reason: invv1.ReasonSuspended, Message: "spec.suspend is true: no provider calls are made; status.plan shows what resuming would do"}
	if err := validateSpec(&p.obj.Spec); err != nil {
		p.st.Plan = &invv1.InvitationPlan{Note: provider.Truncate("nothing can be planned: "+err.Error(), 256)}
		return r.writeStatusAndRequeue(ctx, p.obj, p.st, c, nextExpiry)
	}
	h, err := r.resolveProvider(ctx, p.obj)
	var ce *configError
	switch {
	case errors.As(err, &ce):
		p.st.Plan = &invv1.InvitationPlan{Note: provider.Truncate("nothing can be planned: "+ce.Message, 256)}
		return r.writeStatusAndRequeue(ctx, p.obj, p.st, c, nextExpiry)
	case err != nil:
		return ctrl.Result{}, err
	}
	p.h, p.policy = h, judgePolicy(&p.obj.Spec, h.view.Spec.Policy, h.view.Name())
	plan := ledger.Compute(p.planInput(r.now()))
	inFlight, blocked := 0, ""
	if p.st.InFlight != nil {
		inFlight = len(p.st.InFlight.Emails)
	}
	if p.policy.blocked != nil {
		blocked = p.policy.blocked.Message
	}
	caps := h.Client.Capabilities()
	p.st.Plan = ledger.Preview(plan, inFlight, caps.ListsPending && neverAttempted(p.st, plan.Send), blocked)
	p.st.Plan.Note = provider.Truncate(p.st.Plan.Note, 256)
	return r.writeStatusAndRequeue(ctx, p.obj, p.st, c, earliest(nextExpiry, earliest(plan.NextAttempt, plan.NextResend)))
}

// pass is one reconcile's working state: the object as last written, the status being built, the
// provider it talks to, and what that provider's policy allows.
type pass struct {
	obj    *invv1.SiteInvitation
	st     *invv1.SiteInvitationStatus
	h      *Handle
	policy policyVerdict
}

// conditions is what the pass's status says, with the emails its provider's policy holds back.
func (p *pass) conditions(now time.Time, sendDeadline time.Duration) conditionState {
	return conditionsFor(p.planInput(now), sendDeadline)
}

// planInput is what the ledger plans this pass from: the spec and status, the annotations' requests not
// handled yet, the provider's policy and capabilities.
func (p *pass) planInput(now time.Time) ledger.PlanInput {
	_, retry := p.token(invv1.RetryAnnotation, p.st.LastHandledRetry)
	_, resend := p.token(invv1.ResendAnnotation, p.st.LastHandledResend)
	in := ledger.PlanInput{Spec: &p.obj.Spec, Generation: p.obj.Generation, Status: p.st, Now: now, RetryRequested: retry,
		ResendRequested: resend, NotAllowed: p.policy.outside, Blocked: p.policy.blocked != nil}
	if p.h != nil {
		in.Caps = p.h.Client.Capabilities()
	}
	return in
}

// token returns the value of a request annotation and whether it is new (not handled yet).
func (p *pass) token(annotation, handled string) (string, bool) {
	t := p.obj.Annotations[annotation]
	return t, t != "" && t != handled
}

// stepResult is what one protocol step found: whether the pass stops there, the conditions it ends with
// (nil: the conditions follow from the status; a later step that halts has the last word), and when the
// object needs another look.
type stepResult struct {
	halt bool
	cond *conditionState
	wake time.Time
}

// zeroTime as a wake time means "at the next resync".
var zeroTime time.Time

// halted ends a pass with c (nil: with what the status says), looking again at wake.
func halted(c *conditionState, wake time.Time) stepResult {
	return stepResult{halt: true, cond: c, wake: wake}
}

// reconcile runs the steps that talk to the provider, in protocol order: settle what is in flight,
// revoke what was removed, withdraw what spec.roles outdated, send what is missing, refresh what is
// pending, resend what expired or was asked for. Each returns its result; the pass writes the conditions
// once, and comes back at the earliest time a step asked for or the next invite expires.
func (r *SiteInvitationReconciler) reconcile(ctx context.Context, p *pass) (ctrl.Result, error) {
	if msg := p.h.Rejected(); msg != "" {
		return r.writeStatusAndRequeue(ctx, p.obj, p.st, *credentialRejected(msg), ledger.Expire(p.st, r.now()))
	}
	done, ok := r.startPass(p)
	if !ok {
		// The provider's bucket is empty and other passes already wait on it: this one waits for its
		// turn without a worker (woken when a pass ends; the requeue is a fallback).
		return r.writeStatusAndRequeue(ctx, p.obj, p.st, p.conditions(r.now(), r.SendDeadline),
			r.now().Add(jittered(passRetry, random(r.Rand))))
	}
	defer done()
	var (
		cond *conditionState
		wake time.Time
	)
	for _, step := range []func(context.Context, *pass) (stepResult, error){
		r.settleInFlight, r.revokeRemoved, r.reissueOutdated, r.sendMissing, r.refreshPending, r.resendExpired,
	} {
		res, err := step(ctx, p)
		if err != nil {
			return ctrl.Result{}, err
		}
		wake = earliest(wake, res.wake)
		if res.cond != nil || res.halt {
			cond = res.cond
		}
		if res.halt {
			break
		}
	}
	wake = earliest(wake, ledger.Expire(p.st, r.now())) // including the invites this pass sent
	ledger.MarkOutdated(p.st, &p.obj.Spec)
	if cond == nil {
		c := p.conditions(r.now(), r.SendDeadline)
		cond = &c
	}
	return r.writeStatusAndRequeue(ctx, p.obj, p.st, *cond, wake)
}

// passRetry is when a pass turned away by the provider's quota comes back if no ending pass woke it.
const passRetry = time.Minute

// startPass takes the provider's permission for a pass that has provider calls to make (provider.Quota's
// StartPass); a pass without any (nothing planned, nothing in flight) needs none.
func (r *SiteInvitationReconciler) startPass(p *pass) (func(), bool) {
	if p.h.Quota == nil {
		return func() {}, true
	}
	plan := ledger.Compute(p.planInput(r.now()))
	if p.st.InFlight == nil && len(plan.Send)+len(plan.Revoke)+len(plan.NeedKeys)+len(plan.Reissue)+len(plan.Resend) == 0 {
		return func() {}, true
	}
	key := client.ObjectKeyFromObject(p.obj)
	return p.h.Quota.StartPass(key.String(), func() { r.wakeSiblings([]client.ObjectKey{key}) })
}

// gate stops a step before a provider call when the provider refused its credential meanwhile or asked to
// wait (Retry-After).
func (r *SiteInvitationReconciler) gate(h *Handle) (stepResult, bool) {
	if msg := h.Rejected(); msg != "" {
		return halted(credentialRejected(msg), zeroTime), false
	}
	if nb := h.NotBefore(); r.now().Before(nb) {
		return halted(&conditionState{Reconciling: true, Reason: invv1.ReasonRetrying,
			Message: "the provider asked to wait; next call at " + nb.UTC().Format(time.RFC3339)}, nb), false
	}
	return stepResult{}, true
}

// callFailed ends a step after a failed provider call that sends nothing (observe, revoke): the error's
// outcome gives the conditions, the provider's hold or rejection and the time of the next look.
func (r *SiteInvitationReconciler) callFailed(ctx context.Context, p *pass, c call, err error) stepResult {
	o := outcomeOf(c, err, r.timing())
	o.apply(p.h)
	if o.cond != nil && (o.cond.Reason == invv1.ReasonCredentialRejected || o.cond.Reason == invv1.ReasonForbidden) {
		r.Recorder.Eventf(p.obj, nil, "Warning", o.cond.Reason, string(c), "%s", err.Error())
	}
	reason := ""
	if o.cond != nil {
		reason = o.cond.Reason
	}
	logf.FromContext(ctx).Info("Provider call failed", "call", c, "reason", reason)
	return halted(o.cond, o.retryAt)
}

func (r *SiteInvitationReconciler) now() time.Time { return r.Clock.Now() }

func (r *SiteInvitationReconciler) timing() timing {
	return timing{now: r.now(), retryBase: r.retryBase(), sendDeadline: r.SendDeadline, rnd: random(r.Rand)}
}

func (r *SiteInvitationReconciler) retryBase() time.Duration {
	return cmp.Or(r.RetryBase, ledger.DefaultRetryBase)
}

// earliest returns the earlier of two wake times, zero meaning "none".
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
