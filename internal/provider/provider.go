// Package provider defines what the controller needs from a site builder's invite API, and nothing
// provider-specific. Each provider (wix, wordpress, ghost) is a package beside this one; the providers package
// builds them; tests inject fakes or point the real clients at the sandbox servers.
package provider

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Type names a provider the way the API does (v1alpha1.ProviderType), without importing the API.
type Type string

// The provider types this package knows.
const (
	Wix       Type = "Wix"
	WordPress Type = "WordPress"
	Ghost     Type = "Ghost"
)

// Batch is one invite request: the same roles and options for every email in it.
type Batch struct {
	// Site is the provider's site identifier (Wix site GUID, WordPress.com blog ID or domain, Ghost site URL).
	Site string
	// Emails are lowercase addresses, at most Capabilities().BatchSize of them.
	Emails []string
	// Roles are role names (WordPress.com: exactly one; Ghost: exactly one, e.g. "Author") or role IDs (Wix).
	Roles []string
	// Message is appended to the invitation email where the provider supports it (WordPress.com).
	Message string
	// Language is the invitation email's language for people without an account (Wix).
	Language string
	// Purpose explains why people are invited (Wix).
	Purpose string
	// LocationIDs restricts contributors to business locations (Wix).
	LocationIDs []string
	// External marks invitees as external contributors (WordPress.com).
	External bool
}

// Outcome is what the provider said about one email of a batch.
type Outcome struct {
	Email string
	// InviteID is the provider's key for the new invite, when the answer carries it (Wix does;
	// WordPress.com does not, so it is learned from the next Observe).
	InviteID string
	// ExpiresAt is when the invite lapses, when the answer tells it (Wix expirationDate, Ghost expires);
	// zero when unknown.
	ExpiresAt time.Time
	// Err is nil when the invite was sent; otherwise a *PermanentError (this email will not be invited as
	// it stands), an *OutcomeUnknownError (the provider did not say; see Client.Send) or an
	// *UndeliveredError (the invite is stored but was not emailed; InviteID may be empty).
	Err error
}

// State is where an invite stands at the provider.
type State string

// The invite states Observe reports.
const (
	Pending  State = "Pending"
	Accepted State = "Accepted"
	Expired  State = "Expired"
	Revoked  State = "Revoked"
	// Undelivered is an invite the provider stores but never emailed (Ghost's status "pending": its mail
	// step failed or was cut short), so the person has no working link: it does not count as invited, and a
	// new Send replaces it.
	Undelivered State = "Undelivered"
)

// Observation is what the provider shows about one email on a site.
type Observation struct {
	Email    string
	InviteID string
	State    State
	Roles    []string
	// ExpiresAt is when a pending invite lapses, when the provider shows it; zero when unknown.
	ExpiresAt time.Time
}

// ResendRequest names the invite to email again. Email and Roles are what the caller recorded when it was
// sent: Ghost has no resend call and re-creates the invite, which needs both, and an integration key cannot
// read them back from the invite.
type ResendRequest struct {
	Site     string
	InviteID string
	Email    string
	Roles    []string
	// Language is the email's language where the provider takes one (Wix).
	Language string
}

// Resent is an invite after Resend: some providers (Ghost) replace the invite, so its key and expiry change.
type Resent struct {
	// InviteID is the invite's key after the resend (the same key where the provider keeps the invite).
	InviteID string
	// ExpiresAt is the invite's new expiry, when the provider tells it; zero when unknown.
	ExpiresAt time.Time
}

// Capabilities are the facts about a provider the controller plans with.
type Capabilities struct {
	// BatchSize is the most emails one Send carries.
	BatchSize int
	// ListsPending is true when Observe shows pending invites (WordPress.com). When false (Wix), Observe
	// shows accepted people only, so a send whose answer was lost cannot be settled by looking.
	ListsPending bool
	// Revokes is true when Revoke can withdraw a pending invite (false for a Ghost integration key, which
	// may only create invites).
	Revokes bool
	// SendReplaces is true when a Send for an email that has a pending invite replaces that invite (new
	// key, new expiry, the old link stops working) instead of adding a second one (Ghost). A re-issue
	// with new roles is then one Send, even without Revokes.
	SendReplaces bool
}

// Client is one provider account, reached with one credential. Implementations are safe for concurrent
// use, never log or return the credential, wait on the shared rate limiter before every request, and bound
// every call with a timeout.
//
// Errors are typed; Classify maps any error to one Kind:
//   - *CredentialError: 401/403: the credential is bad or may not act on the site; stop using it.
//   - *TransientError: the provider refused without acting (429, 503, connection refused); retry after
//     RetryAfter or a backoff.
//   - *PermanentError: the provider rejected the request as it stands (bad role, unknown site); do not
//     retry until the input changes.
//   - *OutcomeUnknownError: the request may have been applied but no usable answer came back.
//   - *NotFoundError: the invite or site is not known to the provider.
type Client interface {
	// Capabilities reports batch size and observability.
	Capabilities() Capabilities

	// Send invites every email of one batch. NOT idempotent: neither provider accepts an idempotency key,
	// so calling Send twice for an email may email that person twice. The caller must record its intent
	// before calling and settle an unknown outcome by Observe (when ListsPending) before sending again.
	//
	// When the provider answered, Send returns one Outcome per email of the batch (in batch order) and a
	// nil error; a per-email rejection is that Outcome's *PermanentError. When the whole request failed,
	// Send returns nil outcomes and the error: *OutcomeUnknownError when the request may have reached the
	// provider (timeout after it was written, connection reset, truncated or unreadable answer, a 5xx
	// other than 503), otherwise one of the other kinds, each of which means nothing was sent.
	Send(ctx context.Context, b Batch) ([]Outcome, error)

	// Observe reports what the provider shows about a site's invites for the emails q asks about:
	// WordPress.com lists pending and accepted invites; Wix lists accepted contributors only; Ghost lists
	// its users (accepted) and, with a staff token, its invites (pending, expired, and undelivered ones
	// that were stored but never emailed). q.Lookup names emails whose absence must be confirmed another
	// way (WordPress.com searches the site's members, one request each); the others ignore it. A listing
	// keeps only the entries q asks about and stops at MaxListEntries or MaxListBytes with a ListingTooLong
	// error. Idempotent; an email absent from the result is one the provider does not show.
	Observe(ctx context.Context, site string, q Query) ([]Observation, error)

	// Revoke withdraws one pending invite. Idempotent in effect: an invite that is already gone
	// (revoked, accepted, unknown) returns a *NotFoundError, which the caller treats as done.
	Revoke(ctx context.Context, site, inviteID string) error

	// Resend sends the email of an existing invite again (also after it expired). Not idempotent: each
	// call is one more email, so the caller acts on the resend annotation once per token. It returns the
	// invite as it stands afterwards: a provider that replaces the invite (Ghost) gives a new key and expiry.
	Resend(ctx context.Context, r ResendRequest) (Resent, error)

	// Verify makes the cheapest authenticated read the provider offers to prove the credential works.
	// It returns ErrNotVerifiable when the provider offers none for this configuration.
	Verify(ctx context.Context) error
}

// Config is what the providers package needs to build a Client.
type Config struct {
	Type Type
	// Credential is the Wix API key, the WordPress.com OAuth2 token, or the Ghost key
	// ("<24-hex id>:<64-hex secret>", an integration's Admin API key or a staff access token).
	Credential string
	// AccountID is the Wix account GUID (optional).
	AccountID string
	// Sites are the sites the provider object serves (Ghost: site URLs, which are also where the client
	// connects; the credential check reads each).
	Sites []string
	// StaffToken is true when a Ghost key is a staff access token (create, list and revoke), false for an
	// integration key (create only).
	StaffToken bool
	// BaseURL overrides the provider's endpoint (sandbox, proxy); empty means the real service.
	BaseURL string
	// BatchSize overrides the provider's default batch size when positive.
	BatchSize int
	// Limiter is shared by every Client built for the same provider object.
	Limiter Waiter
	// Timeout bounds each HTTP request; zero means DefaultTimeout.
	Timeout time.Duration
	// Observer, when set, is told about every HTTP request (metrics).
	Observer RequestObserver
	// Network says which addresses the client may connect to.
	Network Network
}

// Endpoint returns the endpoint to call, without a trailing slash: BaseURL, or def when it is empty. It
// must pass CheckEndpoint, and there must be a credential to call it with.
func (c Config) Endpoint(def string) (string, error) {
	name := strings.ToLower(string(c.Type))
	if strings.TrimSpace(c.Credential) == "" {
		return "", fmt.Errorf("%s: the credential is empty", name)
	}
	base := c.BaseURL
	if base == "" {
		base = def
	}
	u, err := CheckEndpoint(base)
	if err != nil {
		return "", fmt.Errorf("%s: base URL %w", name, err)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// LoopbackEndpoint reports whether the configured endpoint (BaseURL, or a pinned site) is an explicit
// loopback address: only then may the client connect to loopback.
func (c Config) LoopbackEndpoint() bool {
	for _, raw := range append([]string{c.BaseURL}, c.Sites...) {
		if u, err := url.Parse(raw); err == nil && raw != "" && IsLoopbackHost(u.Hostname()) {
			return true
		}
	}
	return false
}

// Batch returns BatchSize, or def when it is not positive.
func (c Config) Batch(def int) int {
	if c.BatchSize > 0 {
		return c.BatchSize
	}
	return def
}

// DefaultTimeout bounds one HTTP request to a provider.
const DefaultTimeout = 30 * time.Second

// RequestObserver is told the outcome of every provider HTTP request and every wait on the rate limiter;
// the controller's metrics implement it. Op is a short constant name ("invite", "list", ...); code is the
// HTTP status or 0 when none came back.
type RequestObserver interface {
	ObserveRequest(provider Type, op string, code int, took time.Duration)
	ObserveLimiterWait(provider Type, waited time.Duration)
}

// Waiter is the shared rate limiter every request waits on (a *rate.Limiter satisfies it).
type Waiter interface {
	Wait(ctx context.Context) error
}

// Truncate cuts s to at most n bytes on a rune boundary, for provider messages stored in status.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
