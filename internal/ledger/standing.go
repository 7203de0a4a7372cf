package ledger

import (
	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// Standing is where one desired person stands: the state of their invite, or why there is none. The
// metrics' people gauge and `kubectl invitations` both read it from here, so they count alike.
type Standing string

// Standings beside the invite states (Pending, Accepted, Expired, Revoked) of status.sent.
const (
	// StandingInFlight: the person is in a send whose outcome is not settled yet (status.inFlight).
	StandingInFlight Standing = "InFlight"
	// StandingFailed: the person is in status.failed (any reason; the record says which).
	StandingFailed Standing = "Failed"
	// StandingQueued: nothing was tried for the person yet; the next pass sends (or the policy holds) it.
	StandingQueued Standing = "Queued"
)

// AllStandings lists every standing in a fixed order, for tables and for gauges that report zeros.
var AllStandings = []Standing{
	Standing(invv1.InvitationPending), Standing(invv1.InvitationAccepted), Standing(invv1.InvitationExpired),
	Standing(invv1.InvitationRevoked), StandingFailed, StandingInFlight, StandingQueued,
}

// Person is one desired email with the records that place it.
type Person struct {
	Email    string
	Standing Standing
	// Sent is the person's status.sent entry, if any.
	Sent *invv1.SentInvitation
	// Failed is the person's status.failed entry, if any.
	Failed *invv1.FailedInvitation
}

// People places every email of spec.emails, in the spec's order. An email in the intent record is
// InFlight whatever else status says (its outcome decides the rest); then its sent entry's state; then
// Failed; else Queued. Removed emails (sent entries awaiting revocation) are not people of this object.
func People(spec *invv1.SiteInvitationSpec, st *invv1.SiteInvitationStatus) []Person {
	sent := make(map[string]*invv1.SentInvitation, len(st.Sent))
	for i := range st.Sent {
		sent[st.Sent[i].Email] = &st.Sent[i]
	}
	failed := make(map[string]*invv1.FailedInvitation, len(st.Failed))
	for i := range st.Failed {
		failed[st.Failed[i].Email] = &st.Failed[i]
	}
	inFlight := map[string]bool{}
	if st.InFlight != nil {
		for _, e := range st.InFlight.Emails {
			inFlight[e] = true
		}
	}
	out := make([]Person, 0, len(spec.Emails))
	for _, e := range spec.Emails {
		p := Person{Email: e, Sent: sent[e], Failed: failed[e], Standing: StandingQueued}
		switch {
		case inFlight[e]:
			p.Standing = StandingInFlight
		case p.Sent != nil:
			p.Standing = Standing(p.Sent.State)
		case p.Failed != nil:
			p.Standing = StandingFailed
		}
		out = append(out, p)
	}
	return out
}
