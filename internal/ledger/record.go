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
// shows and learns invite keys. listsPending says whether absence means something: on WordPress.com a
// pending invite that is neither listed nor a member was withdrawn at the provider; Wix shows only
// acceptance, so absence says nothing there. An entry that was not asked about keeps its state: a
// listing keeps only what it was asked for.
func Refresh(st *invv1.SiteInvitationStatus, obs map[string]provider.Observation, asked []string, listsPending bool) {
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
			if exp := ExpiryOf(o.ExpiresAt); exp != nil {
				s.ExpiresAt = exp
			}
			if key := storableKey(o.InviteID); key != "" && (s.InviteID == "" || o.State == provider.Pending) {
				s.InviteID = key
			}
		case listsPending:
			s.State = invv1.InvitationRevoked
		}
	}
}

// Summary counts the desired emails by where they stand.
func Summary(st *invv1.SiteInvitationStatus, spec *invv1.SiteInvitationSpec) invv1.InvitationSummary {
	desired := DesiredSet(spec)
	// The CRD bounds both lists (500 emails, 50 per batch), so the counts fit an int32.
	sum := invv1.InvitationSummary{Desired: int32(len(spec.Emails))} //nolint:gosec // G115: at most 500
	for _, s := range st.Sent {
		if desired[s.Email] {
			sum.Sent++
			if s.State == invv1.InvitationAccepted {
				sum.Accepted++
			}
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

// Limits of status.sent[] that values from a provider must fit (the CRD's).
const (
	maxKeyLength  = 64
	maxRoles      = 10
	maxRoleLength = 64
)

// storableKey is a provider's invite key if status can hold it, else "": a key cut short would revoke or
// resend another invite (or none), while an unknown key is handled as one the provider has not told yet.
func storableKey(key string) string {
	if len(key) > maxKeyLength || strings.ContainsFunc(key, func(r rune) bool { return r < ' ' || r > '~' }) {
		return ""
	}
	return key
}

// storableRoles cuts a provider's role list to what status can hold; roles are shown, never sent again.
func storableRoles(roles []string) []string {
	if len(roles) <= maxRoles && !slices.ContainsFunc(roles, func(r string) bool { return len(r) > maxRoleLength }) {
		return roles
	}
	out := make([]string, 0, maxRoles)
	for _, r := range roles[:min(len(roles), maxRoles)] {
		out = append(out, provider.Truncate(r, maxRoleLength))
	}
	return out
}
