package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// assess decides the conditions from the status alone: what is left to do, and whether what is done
// needs a human.
func (r *SiteInvitationReconciler) assess(obj *invv1.SiteInvitation, st *invv1.SiteInvitationStatus) conditionState {
	plan := Compute(PlanInput{Spec: &obj.Spec, Generation: obj.Generation, Status: st, Now: r.now()})
	switch {
	case st.InFlight != nil:
		return conditionState{Reconciling: true, Reason: ReasonWaitingForInFlight, Message: fmt.Sprintf(
			"%d invites are in flight; their outcome is settled after %s", len(st.InFlight.Emails),
			st.InFlight.StartedAt.Add(r.SendDeadline).UTC().Format(time.RFC3339))}
	case len(plan.Send) > 0:
		return conditionState{Reconciling: true, Reason: ReasonProgressing, Message: fmt.Sprintf("%d invites to send", len(plan.Send))}
	case len(plan.Revoke)+len(plan.NeedKeys) > 0:
		return conditionState{Reconciling: true, Reason: ReasonRevoking, Message: fmt.Sprintf(
			"%d pending invites of removed emails to revoke", len(plan.Revoke)+len(plan.NeedKeys))}
	case !plan.NextAttempt.IsZero():
		return conditionState{Reconciling: true, Reason: ReasonRetrying, Message: fmt.Sprintf(
			"%s; next attempt at %s", failureCounts(st, obj), plan.NextAttempt.UTC().Format(time.RFC3339))}
	}
	desired := desiredSet(&obj.Spec)
	var blocking, members int
	unknown := false
	for _, f := range st.Failed {
		switch {
		case !desired[f.Email]:
		case f.Reason == provider.ReasonAlreadyMember:
			members++
		default:
			blocking++
			unknown = unknown || f.Reason == ReasonOutcomeUnknown
		}
	}
	if blocking > 0 {
		reason := ReasonInvitesFailed
		if unknown {
			reason = ReasonOutcomeUnknown
		}
		return conditionState{Stalled: true, Reason: reason, Message: failureCounts(st, obj) +
			" (see status.failed); fix the spec, or set annotation " + invv1.RetryAnnotation + " to a new value to try again"}
	}
	sum := st.Summary
	msg := fmt.Sprintf("%d of %d invited, %d accepted", sum.Sent, sum.Desired, sum.Accepted)
	if members > 0 {
		msg += fmt.Sprintf(", %d already members", members)
	}
	return conditionState{Ready: true, Reason: ReasonSucceeded, Message: msg}
}

// assessWith summarises p's status first, so counts in messages are current.
func (r *SiteInvitationReconciler) assessWith(p *pass) conditionState {
	summarize(p.st, &p.obj.Spec)
	if p.cause.Reason != "" {
		return p.cause
	}
	return r.assess(p.obj, p.st)
}

// failureCounts says how many desired emails failed, by reason: "3 not invited: 2 InvalidEmail, 1 OutcomeUnknown".
func failureCounts(st *invv1.SiteInvitationStatus, obj *invv1.SiteInvitation) string {
	desired := desiredSet(&obj.Spec)
	counts := map[string]int{}
	total := 0
	for _, f := range st.Failed {
		if desired[f.Email] {
			counts[f.Reason]++
			total++
		}
	}
	parts := make([]string, 0, len(counts))
	for reason, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, reason))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d not invited: %s", total, strings.Join(parts, ", "))
}

// writeStatus writes p's status with the given conditions, with optimistic concurrency (the object's
// resourceVersion). On success p.obj holds the new version.
func (r *SiteInvitationReconciler) writeStatus(ctx context.Context, p *pass, c conditionState) error {
	st := p.st
	summarize(st, &p.obj.Spec)
	setConditions(&st.Conditions, p.obj.Generation, c)
	if c.Ready || c.Stalled {
		st.ObservedGeneration = p.obj.Generation // this spec was fully processed
	}
	sortLedger(st)
	if equality.Semantic.DeepEqual(p.obj.Status, *st) {
		return nil
	}
	prev := p.obj.Status
	p.obj.Status = *st.DeepCopy()
	if err := r.Status().Update(ctx, p.obj); err != nil {
		p.obj.Status = prev
		return err
	}
	// Continue from what the server stored (it rounds times to seconds), so an unchanged status compares
	// equal and is not written again.
	*p.st = *p.obj.Status.DeepCopy()
	r.Metrics.StatusWrites.WithLabelValues(p.obj.Namespace).Inc()
	logf.FromContext(ctx).V(1).Info("Status written", "reason", c.Reason, "sent", st.Summary.Sent, "inFlight", st.Summary.InFlight)
	return nil
}

// finish writes the final status of a reconcile, if anything changed, and says when to come back: at the
// earliest retry or deadline, and at the latest after a jittered resync period.
func (r *SiteInvitationReconciler) finish(ctx context.Context, obj *invv1.SiteInvitation, st *invv1.SiteInvitationStatus,
	c conditionState, after time.Duration) (ctrl.Result, error) {
	p := &pass{obj: obj, st: st}
	if err := r.writeStatus(ctx, p, c); err != nil {
		if apierrors.IsConflict(err) {
			return ctrl.Result{RequeueAfter: time.Second}, nil
		}
		return ctrl.Result{}, err
	}
	if obj.DeletionTimestamp.IsZero() && !needsFinalizer(obj, st) {
		if err := r.ensureFinalizer(ctx, p, false); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{RequeueAfter: time.Second}, nil
			}
			return ctrl.Result{}, err
		}
	}
	next := r.resync()
	if after > 0 && after < next {
		next = after
	}
	return ctrl.Result{RequeueAfter: next}, nil
}
