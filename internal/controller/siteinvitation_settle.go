package controller

import (
	"context"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
)

// settleInFlight resolves an intent record left by a send whose outcome is not known (a crash, a lost
// answer, another manager). While it is younger than the send deadline the send may still be running
// elsewhere — a leader lease is no fence — so nothing else is sent until then. Then the provider is asked:
// an email it shows invited is recorded as sent; where it lists pending invites, an email it does not show
// was not sent and goes back to the plan; where it cannot (Wix), the email is recorded as OutcomeUnknown
// and only a retry request sends it again.
func (r *SiteInvitationReconciler) settleInFlight(ctx context.Context, p *pass) (stepResult, error) {
	inFlight := p.st.InFlight
	if inFlight == nil {
		return stepResult{}, nil
	}
	if deadline := inFlight.StartedAt.Add(r.SendDeadline); r.now().Before(deadline) {
		return halted(nil, deadline), nil
	}
	if res, ok := r.gate(p.h); !ok {
		return res, nil
	}
	obs, err := r.observe(ctx, p, provider.Query{Emails: inFlight.Emails, Lookup: inFlight.Emails})
	if err != nil {
		return r.callFailed(ctx, p, callObserve, err), nil
	}
	unknown := ledger.Settle(p.st, ledger.ByEmail(obs), p.h.Client.Capabilities().ListsPending, r.now(), p.obj.Generation)
	if len(unknown) > 0 {
		r.Metrics.UnknownOutcomes.WithLabelValues(string(p.h.Type), p.obj.Namespace).Add(float64(len(unknown)))
		r.Recorder.Eventf(p.obj, nil, "Warning", invv1.ReasonOutcomeUnknown, "Settle",
			"%d invites may or may not have been sent (%s); set annotation %s to send them", len(unknown), maskList(unknown), invv1.RetryAnnotation)
	}
	// Written now: what the settling found must not depend on the rest of the pass succeeding.
	return stepResult{}, r.writeStatus(ctx, p.obj, p.st, p.conditions(r.now(), r.SendDeadline))
}
