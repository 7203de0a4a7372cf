package ledger

import (
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// Pure status mutations: each takes the status and facts and changes only the entries concerned. Lists
// are kept sorted by email so that a status that did not change serialises identically (no spurious write).

// Sort orders the lists by email, so that a status that did not change serialises identically.
func Sort(st *invv1.SiteInvitationStatus) {
	slices.SortFunc(st.Sent, func(a, b invv1.SentInvitation) int { return strings.Compare(a.Email, b.Email) })
	slices.SortFunc(st.Failed, func(a, b invv1.FailedInvitation) int { return strings.Compare(a.Email, b.Email) })
}

// ExpiryOf is a provider's expiry as status stores it, nil when the provider did not tell one.
func ExpiryOf(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	e := TimeOf(t)
	return &e
}

// TimeOf is t as the API server stores it (UTC, whole seconds), so a status compares equal after a write.
func TimeOf(t time.Time) metav1.Time { return metav1.NewTime(t.UTC().Truncate(time.Second)) }

// RecordSent records that email has an invite, replacing any failure. What came from the provider is
// clamped to the CRD's limits first, so no provider answer can make the status write fail.
func RecordSent(st *invv1.SiteInvitationStatus, s invv1.SentInvitation) {
	s.InviteID, s.Roles = storableKey(s.InviteID), storableRoles(s.Roles)
	st.Failed = slices.DeleteFunc(st.Failed, func(f invv1.FailedInvitation) bool { return f.Email == s.Email })
	if i := slices.IndexFunc(st.Sent, func(x invv1.SentInvitation) bool { return x.Email == s.Email }); i >= 0 {
		st.Sent[i] = s
		return
	}
	st.Sent = append(st.Sent, s)
}

// Failure is one email's failed attempt.
type Failure struct {
	Reason    string
	Message   string
	Retryable bool
	// RetryAfter is the provider's wait, for retryable failures.
	RetryAfter time.Duration
}

// RecordFailure records a failed attempt for email: attempts count up, a retryable failure gets its next
// attempt time.
func RecordFailure(st *invv1.SiteInvitationStatus, email string, f Failure, now time.Time, generation int64, base time.Duration, rnd float64) {
	entry := invv1.FailedInvitation{Email: email}
	if i := slices.IndexFunc(st.Failed, func(x invv1.FailedInvitation) bool { return x.Email == email }); i >= 0 {
		entry = st.Failed[i]
		st.Failed = slices.Delete(st.Failed, i, i+1)
	}
	entry.Reason = f.Reason
	entry.Message = provider.Truncate(f.Message, 128)
	entry.Retryable = f.Retryable
	entry.Attempts = min(entry.Attempts+1, 1000)
	entry.LastAttemptAt = TimeOf(now)
	entry.Generation = generation
	entry.NextAttemptAt = nil
	if f.Retryable {
		next := TimeOf(now.Add(Backoff(base, entry.Attempts, f.RetryAfter, rnd)))
		entry.NextAttemptAt = &next
	}
	st.Sent = slices.DeleteFunc(st.Sent, func(s invv1.SentInvitation) bool { return s.Email == email })
	st.Failed = append(st.Failed, entry)
}

// RecordNotAllowed records that the provider's policy holds email back, with the rule's message. No send
// was tried: an email already held back keeps its attempts, and nothing is retried by time — the ledger
// sends it as soon as the policy allows it.
func RecordNotAllowed(st *invv1.SiteInvitationStatus, email, message string, now time.Time, generation int64) {
	message = provider.Truncate(message, 128)
	if i := slices.IndexFunc(st.Failed, func(x invv1.FailedInvitation) bool { return x.Email == email }); i >= 0 {
		f := &st.Failed[i]
		if f.Reason == invv1.ReasonNotAllowed && f.Message == message {
			return // unchanged: no write
		}
		if f.Reason == invv1.ReasonNotAllowed {
			f.Message, f.Generation = message, generation
			return
		}
	}
	RecordFailure(st, email, Failure{Reason: invv1.ReasonNotAllowed, Message: message}, now, generation, 0, 0)
}

// Drop removes every entry of the given emails.
func Drop(st *invv1.SiteInvitationStatus, emails []string) {
	gone := make(map[string]bool, len(emails))
	for _, e := range emails {
		gone[e] = true
	}
	st.Sent = slices.DeleteFunc(st.Sent, func(s invv1.SentInvitation) bool { return gone[s.Email] })
	st.Failed = slices.DeleteFunc(st.Failed, func(f invv1.FailedInvitation) bool { return gone[f.Email] })
}

// ByEmail indexes what a provider showed by email.
func ByEmail(obs []provider.Observation) map[string]provider.Observation {
	m := make(map[string]provider.Observation, len(obs))
	for _, o := range obs {
		m[o.Email] = o
	}
	return m
}

// invited reports whether an observation shows an invite for the email (pending or accepted). An expired
// or revoked invite does not stand in for a new one.
func invited(o provider.Observation, ok bool) bool {
	return ok && (o.State == provider.Pending || o.State == provider.Accepted)
}

// Adopt records as sent every email in emails that the provider already shows invited (status lost,
// object re-created), so it is not sent again. It returns the emails left to send.
func Adopt(st *invv1.SiteInvitationStatus, emails []string, obs map[string]provider.Observation, roles []string, now time.Time) []string {
	var rest []string
	for _, e := range emails {
		o, ok := obs[e]
		if !invited(o, ok) {
			rest = append(rest, e)
			continue
		}
		RecordSent(st, invv1.SentInvitation{Email: e, InviteID: o.InviteID, Roles: rolesOf(o, roles), SentAt: TimeOf(now), State: StateOf(o.State),
			ExpiresAt: ExpiryOf(o.ExpiresAt), Adopted: true})
	}
	return rest
}

func rolesOf(o provider.Observation, fallback []string) []string {
	if len(o.Roles) > 0 {
		return o.Roles
	}
	return slices.Clone(fallback)
}

// Settle resolves the in-flight record with what the provider shows: an email shown invited is recorded
// as sent; otherwise, when the provider lists pending invites, the email was not sent and goes back to the
// plan; when it does not (Wix), the outcome stays unknown and is recorded as such — never resent on a guess.
func Settle(st *invv1.SiteInvitationStatus, obs map[string]provider.Observation, listsPending bool, now time.Time, generation int64) (unknown []string) {
	if st.InFlight == nil {
		return nil
	}
	for _, e := range st.InFlight.Emails {
		o, ok := obs[e]
		switch {
		case invited(o, ok):
			RecordSent(st, invv1.SentInvitation{Email: e, InviteID: o.InviteID, Roles: rolesOf(o, st.InFlight.Roles),
				SentAt: st.InFlight.StartedAt, State: StateOf(o.State), ExpiresAt: ExpiryOf(o.ExpiresAt)})
		case listsPending:
			// Not at the provider: the send never landed. Leave no entry; the plan sends it again.
		default:
			unknown = append(unknown, e)
			RecordFailure(st, e, Failure{Reason: invv1.ReasonOutcomeUnknown, Message: outcomeUnknownMessage}, now, generation, 0, 0)
		}
	}
	st.InFlight = nil
	return unknown
}

const outcomeUnknownMessage = "may have been sent: no answer came and Wix lists no pending invites; to resend, set annotation " +
	invv1.RetryAnnotation

// Refresh moves the sent entries the provider was asked about (asked; nil: every entry) to the state it
// shows and learns invite keys and expiries. listsPending says whether absence means something: on
// WordPress.com a pending invite that is neither listed nor a member was withdrawn at the provider; Wix
// shows only acceptance, so absence says nothing there. An entry that was not asked about keeps its
// state: a listing keeps only what it was asked for. Where the provider shows an invite lapsed without
// telling when (WordPress.com), it expired now, when it was first seen so; where it shows one pending
// again (resent at the provider, or a resend whose answer was lost), a past expiry no longer holds.
func Refresh(st *invv1.SiteInvitationStatus, obs map[string]provider.Observation, asked []string, listsPending bool, now time.Time) {
	covered := provider.Query{Emails: asked}.Wanted()
	for i := range st.Sent {
		s := &st.Sent[i]
		if s.State == invv1.InvitationAccepted || s.State == invv1.InvitationRevoked || !covered(s.Email) {
			continue
		}
		o, ok := obs[s.Email]
		switch {
		case ok:
			s.State = StateOf(o.State)
			switch exp := ExpiryOf(o.ExpiresAt); {
			case exp != nil:
				s.ExpiresAt = exp
			case s.State == invv1.InvitationExpired && s.ExpiresAt == nil:
				e := TimeOf(now)
				s.ExpiresAt = &e
			case s.State == invv1.InvitationPending && s.ExpiresAt != nil && !now.Before(s.ExpiresAt.Time):
				s.ExpiresAt = nil
			}
			if key := storableKey(o.InviteID); key != "" && (s.InviteID == "" || o.State == provider.Pending) {
				s.InviteID = key
			}
		case listsPending && s.State == invv1.InvitationPending:
			s.State = invv1.InvitationRevoked
		}
	}
}

// Expire moves every pending invite whose expiresAt has passed to Expired, whether or not the provider
// can be asked, and returns the earliest expiry still to come (zero if none): the object is woken then.
func Expire(st *invv1.SiteInvitationStatus, now time.Time) (next time.Time) {
	for i := range st.Sent {
		s := &st.Sent[i]
		if s.State != invv1.InvitationPending || s.ExpiresAt == nil {
			continue
		}
		if now.Before(s.ExpiresAt.Time) {
			next = earliest(next, s.ExpiresAt.Time)
			continue
		}
		s.State = invv1.InvitationExpired
	}
	return next
}

// MarkOutdated sets sent[].rolesOutdated on the pending invites of desired emails whose roles differ
// from spec.roles, and clears it everywhere else.
func MarkOutdated(st *invv1.SiteInvitationStatus, spec *invv1.SiteInvitationSpec) {
	desired := DesiredSet(spec)
	for i := range st.Sent {
		s := &st.Sent[i]
		s.RolesOutdated = desired[s.Email] && s.State == invv1.InvitationPending && RolesOutdated(*s, spec)
	}
}

// StartResends records the intent to resend targets, before any resend call: each target's resends
// counter goes up, and an expired target's expiresAt is cleared, so that after a crash the policy does not
// resend the same lapse again (the counter bounds every email at 1 + maxResends in all; a crash between
// the record and the call costs one resend, counted and not sent).
func StartResends(st *invv1.SiteInvitationStatus, targets []invv1.SentInvitation) {
	for _, t := range targets {
		s := sentOf(st, t.Email)
		if s == nil {
			continue
		}
		s.Resends = min(s.Resends+1, maxResendCount)
		if s.State == invv1.InvitationExpired {
			s.ExpiresAt = nil
		}
	}
}

// ResendResult is what became of one resend.
type ResendResult int

// What a resend call's answer means for the entry.
const (
	// Resent: the provider emailed the person again.
	Resent ResendResult = iota
	// NotResent: the provider refused without sending (a passing error, the credential): the counter
	// and the expiry go back to what they were, and the policy tries again.
	NotResent
	// Refused: the provider refused the resend as it stands, or no longer holds the invite (accepted,
	// revoked or deleted there; a refresh tells which): the attempt stays counted, the expiry comes back,
	// and the policy tries again until its limit.
	Refused
	// Unknown: no usable answer; the resend may have gone out. The entry stays as the intent left it
	// (counted, no expiry) until a listing or a person says more.
	Unknown
)

// FinishResend applies one resend's result to the entry the intent was recorded for (before is the entry
// as it stood before the intent); resent is the provider's answer on success.
func FinishResend(st *invv1.SiteInvitationStatus, before invv1.SentInvitation, result ResendResult, resent provider.Resent) {
	s := sentOf(st, before.Email)
	if s == nil {
		return
	}
	switch result {
	case Resent:
		s.State = invv1.InvitationPending
		if key := storableKey(resent.InviteID); key != "" {
			s.InviteID = key
		}
		s.ExpiresAt = ExpiryOf(resent.ExpiresAt)
	case NotResent:
		s.Resends, s.ExpiresAt = before.Resends, before.ExpiresAt
	case Refused:
		s.ExpiresAt = before.ExpiresAt
	case Unknown:
	}
}

// maxResendCount is the CRD's bound on sent[].resends.
const maxResendCount = 99

func sentOf(st *invv1.SiteInvitationStatus, email string) *invv1.SentInvitation {
	if i := slices.IndexFunc(st.Sent, func(s invv1.SentInvitation) bool { return s.Email == email }); i >= 0 {
		return &st.Sent[i]
	}
	return nil
}

// Summary counts the desired emails by where they stand.
func Summary(st *invv1.SiteInvitationStatus, spec *invv1.SiteInvitationSpec) invv1.InvitationSummary {
	desired := DesiredSet(spec)
	// The CRD bounds both lists (500 emails, 50 per batch), so the counts fit an int32.
	sum := invv1.InvitationSummary{Desired: int32(len(spec.Emails))} //nolint:gosec // G115: at most 500
	for _, s := range st.Sent {
		if !desired[s.Email] {
			continue
		}
		sum.Sent++
		switch s.State {
		case invv1.InvitationAccepted:
			sum.Accepted++
		case invv1.InvitationExpired:
			sum.Expired++
		}
		if s.RolesOutdated {
			sum.RolesOutdated++
		}
	}
	for _, f := range st.Failed {
		if desired[f.Email] {
			sum.Failed++
		}
	}
	if st.InFlight != nil {
		sum.InFlight = int32(len(st.InFlight.Emails)) //nolint:gosec // G115: at most 50
	}
	return sum
}

// Limits of status.sent[] that values from a provider must fit: the CRD's, and the size budget's total
// for one entry's roles (10 Wix role IDs of 20 digits; docs/api.md).
const (
	maxKeyLength  = 64
	maxRoles      = 10
	maxRoleLength = 64
	maxRolesTotal = 200
)

// storableKey is a provider's invite key if status can hold it, else "": a key cut short would revoke or
// resend another invite (or none), while an unknown key is handled as one the provider has not told yet.
func storableKey(key string) string {
	if len(key) > maxKeyLength || strings.ContainsFunc(key, func(r rune) bool { return r < ' ' || r > '~' }) {
		return ""
	}
	return key
}

// storableRoles cuts a provider's role list to what status can hold (at most 10 roles of 64 characters,
// 200 characters in all); roles are shown and compared with spec.roles, never sent again.
func storableRoles(roles []string) []string {
	total := 0
	for _, r := range roles {
		total += len(r)
	}
	if len(roles) <= maxRoles && total <= maxRolesTotal && !slices.ContainsFunc(roles, func(r string) bool { return len(r) > maxRoleLength }) {
		return roles
	}
	out := make([]string, 0, maxRoles)
	total = 0
	for _, r := range roles[:min(len(roles), maxRoles)] {
		r = provider.Truncate(r, maxRoleLength)
		if total+len(r) > maxRolesTotal {
			break
		}
		total += len(r)
		out = append(out, r)
	}
	return out
}
