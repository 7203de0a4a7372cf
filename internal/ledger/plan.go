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
	// NotAllowed are desired emails the provider's policy holds back now: they are not sent, whatever
	// their state. An email held back before and allowed now is sent.
	NotAllowed map[string]string
}

// Plan is what to do next, in protocol order.
type Plan struct {
	// Send are desired emails that have no invite and are due, in spec order.
	Send []string
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
	// HoldSends is true when too many removed emails still await revocation to add more entries.
	HoldSends bool
	// NextAttempt is the earliest nextAttemptAt of a retryable failure that is not due yet (zero if none).
	NextAttempt time.Time
}

// Compute plans the next steps for one SiteInvitation. It never plans anything for emails in flight.
func Compute(in PlanInput) Plan {
	var p Plan
	desired := make(map[string]bool, len(in.Spec.Emails))
	for _, e := range in.Spec.Emails {
		desired[e] = true
	}
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
		if sent[e] || inFlight[e] {
			continue
		}
		if _, held := in.NotAllowed[e]; held {
			p.Held = append(p.Held, e)
			continue
		}
		f, hasFailed := failed[e]
		if !hasFailed {
			p.Send = append(p.Send, e)
			continue
		}
		switch due := dueForRetry(f, in); {
		case due:
			p.Send = append(p.Send, e)
			if in.RetryRequested && !f.Retryable {
				p.Retried = append(p.Retried, e)
			}
		case f.Retryable && f.NextAttemptAt != nil && (p.NextAttempt.IsZero() || f.NextAttemptAt.Time.Before(p.NextAttempt)):
			p.NextAttempt = f.NextAttemptAt.Time
		}
	}
	p.HoldSends = len(p.Revoke)+len(p.NeedKeys) > maxRemovedAwaitingRevoke
	slices.Sort(p.Drop)
	return p
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

// dueForRetry says whether a failed email is sent again now: one the policy held back as soon as the
// policy allows it (the caller has taken out the emails it still holds back); a retryable failure once
// its time has come; a permanent one when the spec changed since it failed or on a retry request; an
// unknown outcome only on a retry request.
func dueForRetry(f invv1.FailedInvitation, in PlanInput) bool {
	switch {
	case f.Reason == invv1.ReasonNotAllowed:
		return true
	case in.RetryRequested && !f.Retryable:
		return true
	case f.Retryable:
		return f.NextAttemptAt == nil || !in.Now.Before(f.NextAttemptAt.Time)
	case f.Reason == invv1.ReasonOutcomeUnknown:
		return false
	}
	return f.Generation < in.Generation
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
