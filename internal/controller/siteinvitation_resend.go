package controller

import (
	"context"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
)

// resendExpired emails again, through the provider's resend call, the invites spec.resendPolicy finds
// due (expired for afterExpiry, under maxResends) and, once per new resend token, every pending or
// expired invite. Invites the operator adopted are left alone unless spec.manageAdoptedInvites is true (it
// did not send them), and so are the emails the provider's policy holds back now.
//
// The intent is recorded before the first call, in one write: the token, and for each target one more
// resend counted and an expired target's expiry cleared. So a crash between a resend and its record can
// never resend the same lapse twice nor exceed maxResends; it can cost one resend (counted, not sent).
// The outcomes are written together after the calls.
func (r *SiteInvitationReconciler) resendExpired(ctx context.Context, p *pass) (stepResult, error) {
	token, asked := p.token(invv1.ResendAnnotation, p.st.LastHandledResend)
	if asked && p.policy.blocked != nil {
		return stepResult{}, nil // a resend emails people: not while the object is outside its provider's policy
	}
	plan := ledger.Compute(p.planInput(r.now()))
	if asked {
		p.st.LastHandledResend = token // nothing to resend: handled with the pass's write
	}
	if len(plan.Resend) == 0 {
		return stepResult{wake: plan.NextResend}, nil
	}
	targets := make([]invv1.SentInvitation, len(plan.Resend))
	for i, t := range plan.Resend {
		targets[i] = t.Entry
	}
	ledger.StartResends(p.st, targets)
	if err := r.writeStatus(ctx, p.obj, p.st, p.conditions(r.now(), r.SendDeadline)); err != nil {
		return stepResult{}, err // nothing was resent; a conflict means someone else changed the object first
	}

	language := ""
	if p.obj.Spec.Wix != nil {
		language = p.obj.Spec.Wix.DefaultEmailLanguage
	}
	results := make([]ledger.ResendResult, len(targets))
	answers := make([]provider.Resent, len(targets))
	var wake = plan.NextResend
	for i, s := range targets {
		if res, ok := r.gate(p.h); !ok {
			for j := i; j < len(targets); j++ {
				results[j] = ledger.NotResent
			}
			wake = earliest(wake, res.wake)
			break
		}
		resent, err := p.h.Client.Resend(ctx, provider.ResendRequest{Site: p.obj.Spec.Site, InviteID: s.InviteID, Email: s.Email,
			Roles: s.Roles, Language: language})
		if r.Hooks.AfterResend != nil {
			if err := r.Hooks.AfterResend(p.obj); err != nil {
				return stepResult{}, err
			}
		}
		answers[i] = resent
		results[i] = resendResult(err)
		if err != nil {
			o := outcomeOf(callResend, err, r.timing())
			o.apply(p.h)
			if results[i] == ledger.NotResent {
				wake = earliest(wake, o.retryAt)
			}
		}
	}
	err := r.writeOutcome(ctx, p, nil, func(st *invv1.SiteInvitationStatus, _ int64) {
		for i, s := range targets {
			ledger.FinishResend(st, s, results[i], answers[i])
		}
	})
	r.reportResends(p, targets, results)
	return stepResult{wake: wake}, err
}

// resendResult reads a resend call's error.
func resendResult(err error) ledger.ResendResult {
	switch provider.Classify(err) {
	case provider.KindNone:
		return ledger.Resent
	case provider.KindOutcomeUnknown:
		return ledger.Unknown
	case provider.KindPermanent, provider.KindNotFound:
		return ledger.Refused
	}
	return ledger.NotResent // transient, the credential: nothing was sent
}

// reportResends emits what the resends did and counts them.
func (r *SiteInvitationReconciler) reportResends(p *pass, targets []invv1.SentInvitation, results []ledger.ResendResult) {
	var done, failed, unknown []string
	for i, s := range targets {
		switch results[i] {
		case ledger.Resent:
			done = append(done, s.Email)
		case ledger.Unknown:
			unknown = append(unknown, s.Email)
		default:
			failed = append(failed, s.Email)
		}
	}
	r.Metrics.Resent.WithLabelValues(string(p.h.Type), p.obj.Namespace).Add(float64(len(done)))
	if len(done) > 0 {
		r.Recorder.Eventf(p.obj, nil, "Normal", invv1.EventInvitesResent, "Resend", "Resent %d invites: %s", len(done), maskList(done))
	}
	if len(failed) > 0 {
		r.Recorder.Eventf(p.obj, nil, "Warning", invv1.EventResendFailed, "Resend",
			"%d invites were not resent (%s); spec.resendPolicy tries again while resends remain, or set a new %s token",
			len(failed), maskList(failed), invv1.ResendAnnotation)
	}
	if len(unknown) > 0 {
		r.Recorder.Eventf(p.obj, nil, "Warning", invv1.ReasonOutcomeUnknown, "Resend",
			"No usable answer for %d resends (%s): they may have gone out; they are not resent automatically until a listing shows them lapsed",
			len(unknown), maskList(unknown))
	}
}
