package controller

import (
	"context"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
)

// revokeRemoved withdraws the pending invites of emails removed from the list (removalPolicy Revoke) and
// drops the entries of removed emails that need nothing more.
func (r *SiteInvitationReconciler) revokeRemoved(ctx context.Context, p *pass) (stepResult, error) {
	return r.revoke(ctx, p, &p.obj.Spec)
}

// revoke runs the revocation part of the plan for spec (on deletion: a spec with no emails).
func (r *SiteInvitationReconciler) revoke(ctx context.Context, p *pass, spec *invv1.SiteInvitationSpec) (stepResult, error) {
	plan := ledger.Compute(ledger.PlanInput{Spec: spec, Generation: p.obj.Generation, Status: p.st, Now: r.now()})
	ledger.Drop(p.st, plan.Drop)
	caps := p.h.Client.Capabilities()
	if len(plan.NeedKeys) > 0 {
		if !caps.ListsPending {
			// No key and no way to learn one: nothing can be revoked; say so and let the entries go.
			r.Recorder.Eventf(p.obj, nil, "Warning", invv1.EventRevokeSkipped, "Revoke",
				"%d pending invites have no invite ID and cannot be revoked: %s", len(plan.NeedKeys), maskList(plan.NeedKeys))
			ledger.Drop(p.st, plan.NeedKeys)
		} else {
			if res := r.observeInto(ctx, p, plan.NeedKeys, plan.NeedKeys, false); res.halt {
				return res, nil
			}
			plan = ledger.Compute(ledger.PlanInput{Spec: spec, Generation: p.obj.Generation, Status: p.st, Now: r.now()})
			ledger.Drop(p.st, plan.Drop)
			ledger.Drop(p.st, plan.NeedKeys) // the provider shows no pending invite for them
		}
	}
	if len(plan.Revoke) > 0 && !caps.Revokes {
		r.Recorder.Eventf(p.obj, nil, "Warning", invv1.EventRevokeSkipped, "Revoke",
			"the provider's credential cannot revoke invites; %d pending invites were left: %s", len(plan.Revoke), maskEntries(plan.Revoke))
		ledger.Drop(p.st, emailsOf(plan.Revoke))
		return stepResult{}, nil
	}
	var revoked []string
	defer func() {
		if len(revoked) > 0 {
			r.Metrics.Revoked.WithLabelValues(string(p.h.Type), p.obj.Namespace).Add(float64(len(revoked)))
			r.Recorder.Eventf(p.obj, nil, "Normal", invv1.EventInvitesRevoked, "Revoke", "Revoked %d pending invites: %s", len(revoked), maskList(revoked))
		}
	}()
	for _, s := range plan.Revoke {
		if res, ok := r.gate(p.h); !ok {
			return res, nil
		}
		err := p.h.Client.Revoke(ctx, spec.Site, s.InviteID)
		if o := outcomeOf(callRevoke, err, r.timing()); !o.done {
			return r.callFailed(ctx, p, callRevoke, err), nil
		}
		if err == nil {
			revoked = append(revoked, s.Email)
		}
		ledger.Drop(p.st, []string{s.Email})
	}
	return stepResult{}, nil
}

// reissueOutdated withdraws the pending invites whose roles differ from spec.roles when
// roleChangePolicy is Reissue, so that the send step, next in the same pass, invites those people again
// with the new roles under the intent protocol. Withdrawing is a revoke (idempotent: after a crash, the
// second revoke finds the invite gone), or nothing where the provider cannot revoke but its next send
// replaces the invite (a Ghost integration key). The dropped entries are written with the send's intent.
func (r *SiteInvitationReconciler) reissueOutdated(ctx context.Context, p *pass) (stepResult, error) {
	plan := ledger.Compute(p.planInput(r.now()))
	if len(plan.Reissue) == 0 {
		return stepResult{}, nil
	}
	var withdrawn []string
	defer func() {
		if len(withdrawn) > 0 {
			r.Recorder.Eventf(p.obj, nil, "Normal", invv1.EventInvitesReissued, "Reissue",
				"Withdrew %d pending invites to invite them again with spec.roles: %s", len(withdrawn), maskList(withdrawn))
		}
	}()
	revokes := p.h.Client.Capabilities().Revokes
	for _, s := range plan.Reissue {
		if revokes {
			if res, ok := r.gate(p.h); !ok {
				return res, nil
			}
			err := p.h.Client.Revoke(ctx, p.obj.Spec.Site, s.InviteID)
			if o := outcomeOf(callRevoke, err, r.timing()); !o.done {
				return r.callFailed(ctx, p, callRevoke, err), nil
			}
		}
		ledger.Drop(p.st, []string{s.Email})
		withdrawn = append(withdrawn, s.Email)
	}
	return stepResult{}, nil
}

func emailsOf(sent []invv1.SentInvitation) []string {
	out := make([]string, len(sent))
	for i, s := range sent {
		out[i] = s.Email
	}
	return out
}

func maskEntries(sent []invv1.SentInvitation) string { return maskList(emailsOf(sent)) }
