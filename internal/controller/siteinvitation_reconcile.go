package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// errStop ends a reconcile early without an error: the status already says why, and the result says when
// to come back.
var errStop = errors.New("stop")

// pass carries one reconcile's working state: the object as last written, the status being built, and
// the earliest time the object needs another look.
type pass struct {
	obj   *invv1.SiteInvitation
	st    *invv1.SiteInvitationStatus
	h     *Handle
	wake  time.Time
	cause conditionState // set when a provider problem ends the pass
	// requestFailure is set when the provider refused a whole send as it stands.
	requestFailure *failure
	// sent and failed gather this pass' send results for its events.
	sent   []string
	failed map[string][]string
}

func (p *pass) wakeAt(t time.Time) {
	if !t.IsZero() && (p.wake.IsZero() || t.Before(p.wake)) {
		p.wake = t
	}
}

// reconcile runs the protocol steps that talk to the provider: settle what is in flight, revoke what was
// removed, send what is missing, refresh what is pending; then it writes conditions once.
func (r *SiteInvitationReconciler) reconcile(ctx context.Context, obj *invv1.SiteInvitation, h *Handle) (ctrl.Result, error) {
	p := &pass{obj: obj, st: obj.Status.DeepCopy(), h: h}
	if msg := h.Rejected(); msg != "" {
		return r.finish(ctx, obj, p.st, conditionState{Stalled: true, Reason: ReasonCredentialRejected,
			Message: "the provider rejected the credential of " + h.Key + "; fix its Secret: " + msg}, 0)
	}
	steps := []func(context.Context, *pass) error{r.settleInFlight, r.revokeRemoved, r.sendMissing, r.refreshPending}
	defer r.sendEvents(p)
	for _, step := range steps {
		if err := step(ctx, p); err != nil {
			if errors.Is(err, errStop) {
				break
			}
			return ctrl.Result{}, err
		}
	}
	if !p.cause.Ready && p.cause.Reason != "" {
		return r.finish(ctx, p.obj, p.st, p.cause, untilOrZero(p.wake, r.now()))
	}
	return r.finish(ctx, p.obj, p.st, r.assess(p.obj, p.st), untilOrZero(p.wake, r.now()))
}

func untilOrZero(t, now time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return max(t.Sub(now), time.Second)
}

// gate stops a pass before a provider call when calls to this provider are held (Retry-After) or its
// credential was rejected meanwhile.
func (r *SiteInvitationReconciler) gate(p *pass) error {
	if msg := p.h.Rejected(); msg != "" {
		p.cause = conditionState{Stalled: true, Reason: ReasonCredentialRejected, Message: "the provider rejected the credential of " + p.h.Key + ": " + msg}
		return errStop
	}
	if nb := p.h.NotBefore(); r.now().Before(nb) {
		p.cause = conditionState{Reconciling: true, Reason: ReasonRetrying,
			Message: fmt.Sprintf("the provider asked to wait; next call at %s", nb.UTC().Format(time.RFC3339))}
		p.wakeAt(nb)
		return errStop
	}
	return nil
}

// callFailed maps a provider error on a call that is not a send (observe, revoke) to the pass's outcome:
// the one place such errors turn into conditions and requeues.
func (r *SiteInvitationReconciler) callFailed(ctx context.Context, p *pass, op string, err error) error {
	log := logf.FromContext(ctx)
	switch provider.Classify(err) {
	case provider.KindCredential:
		var ce *provider.CredentialError
		errors.As(err, &ce)
		if ce.Unauthenticated {
			p.h.MarkRejected(ce.Message)
			p.cause = conditionState{Stalled: true, Reason: ReasonCredentialRejected, Message: err.Error()}
		} else {
			p.cause = conditionState{Stalled: true, Reason: ReasonForbidden, Message: err.Error()}
		}
		r.Recorder.Eventf(p.obj, nil, "Warning", p.cause.Reason, op, "%s", err.Error())
	case provider.KindPermanent:
		f, _ := failureOf(err)
		p.cause = conditionState{Stalled: true, Reason: f.Reason, Message: err.Error()}
	default:
		wait := Backoff(r.retryBase(), 1, provider.RetryAfter(err), r.rnd())
		if ra := provider.RetryAfter(err); ra > 0 {
			p.h.Hold(r.now().Add(ra))
		}
		p.cause = conditionState{Reconciling: true, Reason: ReasonRetrying, Message: op + ": " + err.Error()}
		p.wakeAt(r.now().Add(wait))
	}
	log.Info("Provider call failed", "op", op, "reason", p.cause.Reason)
	return errStop
}

// ensureFinalizer adds the finalizer before anything revocable exists (removalPolicy Revoke), and removes
// it when nothing is left to revoke. It is the only metadata write the reconciler makes.
func (r *SiteInvitationReconciler) ensureFinalizer(ctx context.Context, p *pass, want bool) error {
	has := controllerutil.ContainsFinalizer(p.obj, FinalizerName)
	if has == want {
		return nil
	}
	if want {
		controllerutil.AddFinalizer(p.obj, FinalizerName)
	} else {
		controllerutil.RemoveFinalizer(p.obj, FinalizerName)
	}
	status := p.obj.Status.DeepCopy()
	if err := r.Update(ctx, p.obj); err != nil {
		return err
	}
	p.obj.Status = *status
	return nil
}

// needsFinalizer says whether deletion would have something to revoke.
func needsFinalizer(obj *invv1.SiteInvitation, st *invv1.SiteInvitationStatus) bool {
	if obj.Spec.RemovalPolicy != invv1.RemovalPolicyRevoke {
		return false
	}
	if st.InFlight != nil {
		return true
	}
	for _, s := range st.Sent {
		if s.State == invv1.InvitationPending {
			return true
		}
	}
	return false
}
