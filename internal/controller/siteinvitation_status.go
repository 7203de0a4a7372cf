package controller

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
)

// conditionsFor decides the conditions from what the ledger plans with (spec, status, the provider's
// policy and capabilities): what is left to do, and whether what is done needs a human. It is pure.
func conditionsFor(in ledger.PlanInput, sendDeadline time.Duration) conditionState {
	st, spec := in.Status, in.Spec
	in.RetryRequested, in.ResendRequested = false, false // a request not handled yet is handled in this pass
	plan := ledger.Compute(in)
	if c, ok := workLeft(plan, st, spec, sendDeadline); ok {
		return c
	}
	if c, ok := stalled(st, spec); ok {
		return c
	}
	return conditionState{Ready: true, Reason: invv1.ReasonSucceeded, Message: doneMessage(plan, st, spec, in.NotAllowed)}
}

// workLeft is the Reconciling condition while the plan still has something to do, and whether it has.
func workLeft(plan ledger.Plan, st *invv1.SiteInvitationStatus, spec *invv1.SiteInvitationSpec, sendDeadline time.Duration) (conditionState, bool) {
	switch {
	case st.InFlight != nil:
		return conditionState{Reconciling: true, Reason: invv1.ReasonWaitingForInFlight, Message: fmt.Sprintf(
			"%d invites are in flight; their outcome is settled after %s", len(st.InFlight.Emails),
			st.InFlight.StartedAt.Add(sendDeadline).UTC().Format(time.RFC3339))}, true
	case len(plan.Send) > 0:
		return conditionState{Reconciling: true, Reason: invv1.ReasonProgressing, Message: fmt.Sprintf("%d invites to send", len(plan.Send))}, true
	case len(plan.Revoke)+len(plan.NeedKeys) > 0:
		return conditionState{Reconciling: true, Reason: invv1.ReasonRevoking, Message: fmt.Sprintf(
			"%d pending invites of removed emails to revoke", len(plan.Revoke)+len(plan.NeedKeys))}, true
	case len(plan.Reissue) > 0:
		return conditionState{Reconciling: true, Reason: invv1.ReasonProgressing, Message: fmt.Sprintf(
			"%d pending invites to re-issue with spec.roles (roleChangePolicy Reissue)", len(plan.Reissue))}, true
	case len(plan.Resend) > 0:
		return conditionState{Reconciling: true, Reason: invv1.ReasonProgressing, Message: fmt.Sprintf(
			"%d expired invites to resend (spec.resendPolicy)", len(plan.Resend))}, true
	case !plan.NextAttempt.IsZero():
		return conditionState{Reconciling: true, Reason: invv1.ReasonRetrying, Message: fmt.Sprintf(
			"%s; next attempt at %s", failureCounts(st, spec), plan.NextAttempt.UTC().Format(time.RFC3339))}, true
	}
	return conditionState{}, false
}

// stalled is the Stalled condition when desired emails failed in a way only a human can fix, and whether
// they did (an email that is already a member does not stall the object).
func stalled(st *invv1.SiteInvitationStatus, spec *invv1.SiteInvitationSpec) (conditionState, bool) {
	desired := ledger.DesiredSet(spec)
	var blocking int
	unknown, held := false, ""
	for _, f := range st.Failed {
		switch {
		case !desired[f.Email], f.Reason == provider.ReasonAlreadyMember:
		case f.Reason == invv1.ReasonNotAllowed:
			blocking++
			held = cmp.Or(held, f.Message)
		default:
			blocking++
			unknown = unknown || f.Reason == invv1.ReasonOutcomeUnknown
		}
	}
	if blocking > 0 {
		reason := invv1.ReasonInvitesFailed
		switch {
		case unknown:
			reason = invv1.ReasonOutcomeUnknown
		case held != "":
			reason = invv1.ReasonNotAllowed
		}
		msg := failureCounts(st, spec) + " (see status.failed); fix the spec, or set annotation " + invv1.RetryAnnotation +
			" to a new value to try again"
		if held != "" {
			msg = failureCounts(st, spec) + " (see status.failed): " + held + "; they go out once the policy allows them"
		}
		return conditionState{Stalled: true, Reason: reason, Message: msg}, true
	}
	return conditionState{}, false
}

// doneMessage says where everyone stands once nothing is left to do: invited, accepted, expired (and
// what resends them), already members, outdated roles, and invites the policy would not allow now.
func doneMessage(plan ledger.Plan, st *invv1.SiteInvitationStatus, spec *invv1.SiteInvitationSpec, outside map[string]string) string {
	desired := ledger.DesiredSet(spec)
	members := 0
	for _, f := range st.Failed {
		if desired[f.Email] && f.Reason == provider.ReasonAlreadyMember {
			members++
		}
	}
	sum := ledger.Summary(st, spec)
	msg := fmt.Sprintf("%d of %d invited, %d accepted", sum.Sent, sum.Desired, sum.Accepted)
	if sum.Expired > 0 {
		msg += fmt.Sprintf(", %d expired", sum.Expired)
		switch {
		case !plan.NextResend.IsZero():
			msg += " (next automatic resend at " + plan.NextResend.UTC().Format(time.RFC3339) + ")"
		case spec.ResendPolicy == nil:
			msg += " (set spec.resendPolicy or annotation " + invv1.ResendAnnotation + " to resend)"
		}
	}
	if members > 0 {
		msg += fmt.Sprintf(", %d already members", members)
	}
	if sum.RolesOutdated > 0 {
		msg += fmt.Sprintf("; %d pending invites carry roles other than spec.roles (status.sent[].rolesOutdated)", sum.RolesOutdated)
		if spec.RoleChangePolicy != invv1.RoleChangeReissue {
			msg += ": roleChangePolicy Keep leaves them, Reissue sends them again"
		} else {
			msg += ": not re-issued (an adopted invite needs spec.manageAdoptedInvites; others an invite key, or a credential that can revoke or replace invites)"
		}
	}
	if n := sentOutside(st, outside); n > 0 {
		msg += fmt.Sprintf("; %d invited before the provider's policy changed are outside it now (kept: a policy change never revokes)", n)
	}
	return msg
}

// sentOutside counts the sent invites whose email the policy would not allow now.
func sentOutside(st *invv1.SiteInvitationStatus, outside map[string]string) int {
	n := 0
	for _, s := range st.Sent {
		if _, ok := outside[s.Email]; ok {
			n++
		}
	}
	return n
}

// failureCounts says how many desired emails failed, by reason: "3 not invited: 2 InvalidEmail, 1 OutcomeUnknown".
func failureCounts(st *invv1.SiteInvitationStatus, spec *invv1.SiteInvitationSpec) string {
	desired := ledger.DesiredSet(spec)
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

// writeStatus writes st with the given conditions, under optimistic concurrency (the object's
// resourceVersion), unless nothing changed. On success obj and st hold what the server stored; on a
// conflict the caller's pass ends and Reconcile comes back.
func (r *SiteInvitationReconciler) writeStatus(ctx context.Context, obj *invv1.SiteInvitation, st *invv1.SiteInvitationStatus, c conditionState) error {
	st.Summary = ledger.Summary(st, &obj.Spec)
	setConditions(&st.Conditions, obj.Generation, c)
	if c.Ready || c.Stalled {
		st.ObservedGeneration = obj.Generation // this spec was fully processed
	}
	ledger.Sort(st)
	if equality.Semantic.DeepEqual(obj.Status, *st) {
		return nil
	}
	prev := obj.Status
	obj.Status = *st.DeepCopy()
	if err := r.Status().Update(ctx, obj); err != nil {
		obj.Status = prev
		return err
	}
	// Continue from what the server stored (it rounds times to seconds), so an unchanged status compares
	// equal and is not written again.
	*st = *obj.Status.DeepCopy()
	r.Metrics.StatusWrites.WithLabelValues(obj.Namespace).Inc()
	logf.FromContext(ctx).V(1).Info("Status written", "reason", c.Reason, "sent", st.Summary.Sent, "inFlight", st.Summary.InFlight)
	return nil
}

// writeStatusAndRequeue ends a reconcile: it writes the status if anything changed and comes back at wake
// (the earliest retry or deadline), at the latest after a jittered resync period.
func (r *SiteInvitationReconciler) writeStatusAndRequeue(ctx context.Context, obj *invv1.SiteInvitation, st *invv1.SiteInvitationStatus,
	c conditionState, wake time.Time) (ctrl.Result, error) {
	if err := r.writeStatus(ctx, obj, st, c); err != nil {
		return ctrl.Result{}, err
	}
	next := jittered(r.ResyncPeriod, random(r.Rand))
	if !wake.IsZero() {
		next = min(next, max(wake.Sub(r.now()), time.Second))
	}
	return ctrl.Result{RequeueAfter: next}, nil
}
