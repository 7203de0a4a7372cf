package controller

import (
	"cmp"
	"context"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
)

// resendOnRequest resends every pending or lapsed invite once per new resend token. The token is recorded
// before the first resend: a crash in between resends too few (visible), never twice. Invites the
// operator adopted are left alone unless spec.manageAdoptedInvites is true (it did not send them), and so
// are the emails the provider's policy holds back now.
func (r *SiteInvitationReconciler) resendOnRequest(ctx context.Context, p *pass) (stepResult, error) {
	token := p.obj.Annotations[invv1.ResendAnnotation]
	if token == "" || token == p.st.LastHandledResend {
		return stepResult{}, nil
	}
	if p.policy.blocked != nil {
		return stepResult{}, nil // a resend emails people: not while the object is outside its provider's policy
	}
	targets := resendTargets(p)
	p.st.LastHandledResend = token
	if err := r.writeStatus(ctx, p.obj, p.st, p.conditions(r.now(), r.SendDeadline)); err != nil {
		return stepResult{}, err
	}
	language := ""
	if p.obj.Spec.Wix != nil {
		language = p.obj.Spec.Wix.DefaultEmailLanguage
	}
	var done, failed []string
	for _, s := range targets {
		if _, ok := r.gate(p.h); !ok {
			failed = append(failed, s.Email)
			continue
		}
		resent, err := p.h.Client.Resend(ctx, provider.ResendRequest{Site: p.obj.Spec.Site, InviteID: s.InviteID, Email: s.Email,
			Roles: s.Roles, Language: language})
		if err != nil {
			outcomeOf(callResend, err, r.timing()).apply(p.h)
			failed = append(failed, s.Email)
			continue
		}
		done = append(done, s.Email)
		for i := range p.st.Sent {
			if p.st.Sent[i].Email == s.Email {
				p.st.Sent[i].State = invv1.InvitationPending
				p.st.Sent[i].InviteID = cmp.Or(resent.InviteID, p.st.Sent[i].InviteID)
				if exp := ledger.ExpiryOf(resent.ExpiresAt); exp != nil {
					p.st.Sent[i].ExpiresAt = exp
				}
			}
		}
	}
	if len(done) > 0 {
		r.Recorder.Eventf(p.obj, nil, "Normal", invv1.EventInvitesResent, "Resend", "Resent %d invites: %s", len(done), maskList(done))
	}
	if len(failed) > 0 {
		r.Recorder.Eventf(p.obj, nil, "Warning", invv1.EventResendFailed, "Resend",
			"%d invites were not resent (%s); set a new %s token to try again", len(failed), maskList(failed), invv1.ResendAnnotation)
	}
	return stepResult{}, nil
}

// resendTargets are the invites a resend token emails again: pending or lapsed, with a key, of a desired
// email the policy allows, and sent by this object (or adopted, when spec.manageAdoptedInvites says so).
func resendTargets(p *pass) []invv1.SentInvitation {
	desired := ledger.DesiredSet(&p.obj.Spec)
	var targets []invv1.SentInvitation
	for _, s := range p.st.Sent {
		_, outside := p.policy.outside[s.Email]
		mine := !s.Adopted || p.obj.Spec.ManageAdoptedInvites
		live := s.State == invv1.InvitationPending || s.State == invv1.InvitationExpired
		if live && s.InviteID != "" && desired[s.Email] && !outside && mine {
			targets = append(targets, s)
		}
	}
	return targets
}
