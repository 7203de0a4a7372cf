// Package ledger is the pure core of the protocol: it compares what a SiteInvitation's spec declares with
// what its status records and says what to do next, and it applies the facts a provider call returned to
// the status. Nothing here does I/O or reads a clock (time comes in as an argument), so every rule is
// table-tested without a cluster or a provider; a depguard rule keeps it that way.
package ledger

import (
	"slices"
	"time"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// maxRemovedAwaitingRevoke is how many removed emails may wait in status.sent for revocation before new
// sends are held back, keeping len(sent)+len(failed) <= v1alpha1.MaxLedgerEntries.
const maxRemovedAwaitingRevoke = invv1.MaxLedgerEntries - invv1.MaxEmailsPerObject

// PlanInput is everything the ledger looks at.
type PlanInput struct {
	Spec       *invv1.SiteInvitationSpec
	Generation int64
	Status     *invv1.SiteInvitationStatus
	Now        time.Time
	// RetryRequested is true when the retry annotation holds a token not handled yet.
	RetryRequested bool
	// ResendRequested is true when the resend annotation holds a token not handled yet.
	ResendRequested bool
	// NotAllowed are desired emails the provider's policy holds back now: they are not sent, resent or
	// re-issued, whatever their state. An email held back before and allowed now is sent.
	NotAllowed map[string]string
	// Blocked is true when the provider's policy stops every send and resend of the object (its site, a
	// role, its number of emails): only revocations and drops are planned.
	Blocked bool
	// Caps are the provider's capabilities: whether a re-issue can withdraw or replace the old invite.
	Caps provider.Capabilities
}

// Plan is what to do next, in protocol order.
type Plan struct {
	// Send are desired emails that have no invite and are due, in spec order.
	Send []string
	// Why gives the reason each email of Send is sent (an invv1.Plan* reason).
	Why map[string]string
	// Held are desired emails without an invite that the policy holds back, in spec order.
	Held []string
	// Retried are the failed emails a retry request puts back into Send.
	Retried []string
	// Revoke are invites of removed emails to withdraw (removalPolicy Revoke, pending, key known).
	Revoke []invv1.SentInvitation
	// NeedKeys are removed emails whose pending invite must be revoked but whose key is not known yet.
	NeedKeys []string
	// Drop are removed emails whose status entries can go.
	Drop []string
	// Reissue are pending invites whose roles differ from spec.roles, to withdraw (revoke, or nothing
	// where the next send replaces them) so that the send step invites the person again
	// (roleChangePolicy Reissue).
	Reissue []invv1.SentInvitation
	// Resend are the invites to email again, each with its reason (PlanExpired, PlanResendRequested).
	Resend []Resend
	// HoldSends is true when too many removed emails still await revocation to add more entries.
	HoldSends bool
	// NextAttempt is the earliest nextAttemptAt of a retryable failure that is not due yet (zero if none).
	NextAttempt time.Time
	// NextResend is the earliest time an expired invite becomes due under spec.resendPolicy (zero if none).
	NextResend time.Time
}

// Resend is one invite to email again, and why.
type Resend struct {
	Entry  invv1.SentInvitation
	Reason string
}

// Compute plans the next steps for one SiteInvitation. It never plans anything for emails in flight.
func Compute(in PlanInput) Plan {
	p := Plan{Why: map[string]string{}}
	desired := DesiredSet(in.Spec)
	inFlight := map[string]bool{}
	if in.Status.InFlight != nil {
		for _, e := range in.Status.InFlight.Emails {
			inFlight[e] = true
		}
	}
	sent := make(map[string]bool, len(in.Status.Sent))
	for _, s := range in.Status.Sent {
		if desired[s.Email] {
			sent[s.Email] = true
		} else {
			p.removed(s, in.Spec)
		}
	}
	failed := make(map[string]invv1.FailedInvitation, len(in.Status.Failed))
	for _, f := range in.Status.Failed {
		if desired[f.Email] {
			failed[f.Email] = f
		} else {
			p.Drop = append(p.Drop, f.Email)
		}
	}
	for _, e := range in.Spec.Emails {
		if sent[e] || inFlight[e] || in.Blocked {
			continue
		}
		if _, held := in.NotAllowed[e]; held {
			p.Held = append(p.Held, e)
			continue
		}
		f, hasFailed := failed[e]
		if !hasFailed {
			p.Send, p.Why[e] = append(p.Send, e), invv1.PlanNotInvited
			continue
		}
		switch why, due := dueForRetry(f, in); {
		case due:
			p.Send, p.Why[e] = append(p.Send, e), why
			if in.RetryRequested && !f.Retryable {
				p.Retried = append(p.Retried, e)
			}
		case f.Retryable && f.NextAttemptAt != nil:
			p.NextAttempt = earliest(p.NextAttempt, f.NextAttemptAt.Time)
		}
	}
	p.HoldSends = len(p.Revoke)+len(p.NeedKeys) > maxRemovedAwaitingRevoke
	p.lifecycle(in, desired, inFlight)
	slices.Sort(p.Drop)
	return p
}

// lifecycle plans what happens to the desired emails' invites over time: re-issues after a change of
// spec.roles, then resends (a re-issued invite is not resent as well). Nothing is planned for an email
// the policy holds back, in flight, or an invite this object adopted unless spec.manageAdoptedInvites says
// it may act on it.
func (p *Plan) lifecycle(in PlanInput, desired, inFlight map[string]bool) {
	if in.Blocked {
		return
	}
	reissue := in.Spec.RoleChangePolicy == invv1.RoleChangeReissue && !p.HoldSends
	for _, s := range in.Status.Sent {
		_, held := in.NotAllowed[s.Email]
		mine := !s.Adopted || in.Spec.ManageAdoptedInvites
		if !desired[s.Email] || inFlight[s.Email] || held || !mine {
			continue
		}
		if reissue && s.State == invv1.InvitationPending && RolesOutdated(s, in.Spec) && canReissue(s, in.Caps) {
			p.Reissue = append(p.Reissue, s)
			continue
		}
		p.resend(s, in)
	}
}

// resend plans a resend of a live invite with a known key: on a resend request, or once spec.resendPolicy
// says an expired one is due (NextResend keeps the earliest not due yet).
func (p *Plan) resend(s invv1.SentInvitation, in PlanInput) {
	live := s.State == invv1.InvitationPending || s.State == invv1.InvitationExpired
	if s.InviteID == "" || !live {
		return
	}
	if in.ResendRequested {
		p.Resend = append(p.Resend, Resend{Entry: s, Reason: invv1.PlanResendRequested})
		return
	}
	policy := in.Spec.ResendPolicy
	if policy == nil || s.State != invv1.InvitationExpired || s.ExpiresAt == nil || s.Resends >= policy.MaxResends {
		return // no policy, not expired, a resend under way (no expiry), or the limit reached
	}
	due := s.ExpiresAt.Add(afterExpiry(policy))
	if in.Now.Before(due) {
		p.NextResend = earliest(p.NextResend, due)
		return
	}
	p.Resend = append(p.Resend, Resend{Entry: s, Reason: invv1.PlanExpired})
}

// canReissue says whether an outdated invite can be replaced: withdrawn by a revoke (its key known), or,
// where the credential cannot revoke, replaced by the next send (a Ghost integration key). Where it can
// revoke, it does: a provider that lists pending invites would otherwise show the old one to the send's
// look for existing invites, which would adopt it.
func canReissue(s invv1.SentInvitation, caps provider.Capabilities) bool {
	if caps.Revokes {
		return s.InviteID != ""
	}
	return caps.SendReplaces
}

// afterExpiry is the policy's wait after an expiry. The CRD admits only durations from 0s to 2160h; a
// value it did not check (an object stored before the rule) counts as 0s, the default.
func afterExpiry(p *invv1.ResendPolicy) time.Duration {
	d, err := time.ParseDuration(p.AfterExpiry)
	if err != nil {
		return 0
	}
	return max(d, 0)
}

// RolesOutdated reports whether a sent invite carries roles other than spec.roles (in any order). An
// entry whose roles are not known is not outdated.
func RolesOutdated(s invv1.SentInvitation, spec *invv1.SiteInvitationSpec) bool {
	if len(s.Roles) == 0 {
		return false
	}
	a, b := slices.Clone(s.Roles), slices.Clone(spec.Roles)
	slices.Sort(a)
	slices.Sort(b)
	return !slices.Equal(slices.Compact(a), slices.Compact(b))
}

// removed plans what happens to the sent entry of an email no longer in the spec. An adopted invite is
// revoked only when the spec opts in: this object did not send it.
func (p *Plan) removed(s invv1.SentInvitation, spec *invv1.SiteInvitationSpec) {
	switch {
	case spec.RemovalPolicy != invv1.RemovalPolicyRevoke || s.State != invv1.InvitationPending || (s.Adopted && !spec.ManageAdoptedInvites):
		p.Drop = append(p.Drop, s.Email)
	case s.InviteID == "":
		p.NeedKeys = append(p.NeedKeys, s.Email)
	default:
		p.Revoke = append(p.Revoke, s)
	}
}

// dueForRetry says whether a failed email is sent again now, and why: one the policy held back as soon as
// the policy allows it (the caller has taken out the emails it still holds back); a retryable failure
// once its time has come; a permanent one when the spec changed since it failed or on a retry request; an
// unknown outcome only on a retry request.
func dueForRetry(f invv1.FailedInvitation, in PlanInput) (string, bool) {
	switch {
	case f.Reason == invv1.ReasonNotAllowed:
		return invv1.PlanNowAllowed, true
	case in.RetryRequested && !f.Retryable:
		return invv1.PlanRetryRequested, true
	case f.Retryable:
		return invv1.PlanRetryDue, f.NextAttemptAt == nil || !in.Now.Before(f.NextAttemptAt.Time)
	case f.Reason == invv1.ReasonOutcomeUnknown:
		return "", false
	}
	return invv1.PlanSpecChanged, f.Generation < in.Generation
}

// earliest returns the earlier of two times, zero meaning "none".
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// Batches cuts emails into batches of at most size.
func Batches(emails []string, size int) [][]string {
	size = max(size, 1)
	var out [][]string
	for len(emails) > 0 {
		n := min(size, len(emails))
		out = append(out, emails[:n:n])
		emails = emails[n:]
	}
	return out
}

// DefaultRetryBase is the first retry delay after a transient failure.
const DefaultRetryBase = 30 * time.Second

// Backoff is the wait before the attempt after `attempts` failed ones: the provider's Retry-After when it
// gave one, else base doubling per attempt up to an hour, with ±20% jitter (rnd returns [0,1)) so objects
// that failed together do not retry together.
func Backoff(base time.Duration, attempts int32, retryAfter time.Duration, rnd float64) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	const ceiling = time.Hour
	d := base
	for i := int32(1); i < attempts && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return time.Duration(float64(d) * (0.8 + 0.4*rnd))
}

// DesiredSet returns spec.emails as a set.
func DesiredSet(spec *invv1.SiteInvitationSpec) map[string]bool {
	m := make(map[string]bool, len(spec.Emails))
	for _, e := range spec.Emails {
		m[e] = true
	}
	return m
}

// StateOf converts a provider state to the API's.
func StateOf(s provider.State) invv1.InvitationState {
	switch s {
	case provider.Accepted:
		return invv1.InvitationAccepted
	case provider.Expired:
		return invv1.InvitationExpired
	case provider.Revoked:
		return invv1.InvitationRevoked
	}
	return invv1.InvitationPending
}
