package ledger

import (
	"fmt"
	"strings"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// PlanShown is how many emails status.plan names per action (the CRD's bound); the counts are exact.
const PlanShown = 3

// Preview is a plan as status.plan shows it while the object is suspended: per action, the count and
// the first emails with their reasons, in the order the pass would act. inFlight is how many emails are
// in flight (settled first); adoption says whether the provider is asked, before a first send, for
// invites that already exist (then some planned sends may be adopted instead); blocked is the policy's
// message when it stops every send.
func Preview(p Plan, inFlight int, adoption bool, blocked string) *invv1.InvitationPlan {
	out := &invv1.InvitationPlan{}
	if len(p.Send) > 0 {
		out.Send = planned(len(p.Send), func(i int) (string, string) { return p.Send[i], p.Why[p.Send[i]] })
	}
	if n := len(p.Revoke) + len(p.NeedKeys); n > 0 {
		out.Revoke = planned(n, func(i int) (string, string) {
			if i < len(p.Revoke) {
				return p.Revoke[i].Email, invv1.PlanRemoved
			}
			return p.NeedKeys[i-len(p.Revoke)], invv1.PlanRemoved
		})
	}
	if len(p.Resend) > 0 {
		out.Resend = planned(len(p.Resend), func(i int) (string, string) { return p.Resend[i].Entry.Email, p.Resend[i].Reason })
	}
	if len(p.Reissue) > 0 {
		out.Reissue = planned(len(p.Reissue), func(i int) (string, string) { return p.Reissue[i].Email, invv1.PlanRolesChanged })
	}
	var notes []string
	if inFlight > 0 {
		notes = append(notes, fmt.Sprintf("%d emails in flight are settled first", inFlight))
	}
	if blocked != "" {
		notes = append(notes, "nothing is sent: the provider's policy does not allow this object")
	}
	if p.HoldSends {
		notes = append(notes, "sends wait until the removed emails' invites are revoked")
	}
	if adoption && out.Send != nil {
		notes = append(notes, "before a first send the provider is asked for invites that already exist; those are adopted, not sent")
	}
	if out.Send == nil && out.Revoke == nil && out.Resend == nil && out.Reissue == nil && len(notes) == 0 {
		notes = append(notes, "nothing to do")
	}
	out.Note = strings.Join(notes, "; ")
	return out
}

func planned(n int, at func(int) (email, reason string)) *invv1.PlannedAction {
	a := &invv1.PlannedAction{Count: int32(min(n, 1000))} //nolint:gosec // G115: bounded just before
	for i := range min(n, PlanShown) {
		email, reason := at(i)
		a.Emails = append(a.Emails, invv1.PlannedEmail{Email: email, Reason: reason})
	}
	return a
}
