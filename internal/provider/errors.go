package provider

import (
	"errors"
	"fmt"
	"time"
)

// Kind is the one classification of a provider error the controller acts on.
type Kind int

// The kinds, each mapped to one outcome by the controller.
const (
	// KindNone is a nil error.
	KindNone Kind = iota
	// KindPermanent: rejected as it stands; retried only when the input changes or a user asks.
	KindPermanent
	// KindTransient: refused without acting; retried with backoff or after Retry-After.
	KindTransient
	// KindCredential: the credential is bad (401) or may not act here (403).
	KindCredential
	// KindOutcomeUnknown: may have been applied; settle before any resend.
	KindOutcomeUnknown
	// KindNotFound: the invite or site does not exist at the provider.
	KindNotFound
)

// Reasons a PermanentError carries; they become status.failed[].reason.
const (
	ReasonAlreadyMember = "AlreadyMember"
	ReasonInvalidEmail  = "InvalidEmail"
	ReasonUnknownRole   = "UnknownRole"
	ReasonBlocked       = "InvitesBlocked"
	ReasonSiteNotFound  = "SiteNotFound"
	ReasonRejected      = "Rejected"
	// ReasonRoleNotAllowed: the role exists but this credential may not invite people with it (a Ghost
	// integration key and Administrator; an Editor's staff token and Editor).
	ReasonRoleNotAllowed = "RoleNotAllowed"
	// ReasonKeyTypeMismatch: the credential is another kind of key than the provider object declares.
	ReasonKeyTypeMismatch = "KeyTypeMismatch"
	// ReasonEndpointNotAllowed: the provider's endpoint resolves to an address the operator may not
	// connect to (link-local, metadata, private without --allowed-provider-cidrs); nothing was sent.
	ReasonEndpointNotAllowed = "EndpointNotAllowed"
	// ReasonListingTooLong: the provider's listing went past the operator's cap.
	ReasonListingTooLong = "ListingTooLong"
	// ReasonUndelivered labels an *UndeliveredError in status.failed.
	ReasonUndelivered = "EmailNotDelivered"
)

// PermanentError is a rejection that repeats until the input changes: for one email (per-invitee errors)
// or for a whole request (an unknown role or site).
type PermanentError struct {
	// Reason is one of the Reason constants.
	Reason string
	// Code is the provider's own error code (invalid_input_has_role, INVALID_ARGUMENT, ...).
	Code string
	// Message is the provider's own text, without credentials.
	Message string
}

func (e *PermanentError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("%s: %s", e.Reason, e.Message)
	}
	return fmt.Sprintf("%s: %s (%s)", e.Reason, e.Message, e.Code)
}

// TransientError is a refusal the provider made without acting on the request.
type TransientError struct {
	// StatusCode is the HTTP status, or 0 when the connection failed before the request was written.
	StatusCode int
	// RetryAfter is the provider's Retry-After, zero when it gave none.
	RetryAfter time.Duration
	Message    string
}

func (e *TransientError) Error() string {
	s := "provider unavailable"
	if e.StatusCode != 0 {
		s = fmt.Sprintf("provider answered HTTP %d", e.StatusCode)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// CredentialError means the provider refused the credential: Unauthenticated (401, or a token the
// provider calls invalid) for a bad credential, otherwise a credential that may not act on this site (403).
type CredentialError struct {
	StatusCode      int
	Unauthenticated bool
	Code            string
	Message         string
}

func (e *CredentialError) Error() string {
	what := "the credential may not act on this site"
	if e.Unauthenticated {
		what = "the credential was rejected"
	}
	return fmt.Sprintf("%s (HTTP %d %s): %s", what, e.StatusCode, e.Code, e.Message)
}

// OutcomeUnknownError means the request may have been applied but no usable answer came back.
type OutcomeUnknownError struct {
	// Cause is what went wrong (timeout, reset, truncated body, 5xx); never holds a credential.
	Cause error
}

func (e *OutcomeUnknownError) Error() string {
	return "outcome unknown: the provider may have acted on the request, but no usable answer came back: " + e.Cause.Error()
}

func (e *OutcomeUnknownError) Unwrap() error { return e.Cause }

// UndeliveredError means the provider stored the invite but could not email it: Ghost answers 500
// EmailError when its mail server refuses, and keeps the invite (status "pending", which its accept
// endpoint refuses). Nobody received a link, and a new Send for the email replaces the stored invite and
// emails it, so Classify calls it transient: retrying is what fixes it. Only providers whose create
// replaces an earlier invite for the same email return it.
type UndeliveredError struct {
	// Code is the provider's error type (EmailError).
	Code string
	// Message is the provider's text (the mail server's complaint), without credentials.
	Message string
}

func (e *UndeliveredError) Error() string {
	return fmt.Sprintf("%s: the invite is stored but its email was not sent (%s): %s", ReasonUndelivered, e.Code, e.Message)
}

// NotFoundError means the provider does not know the invite (or site) named.
type NotFoundError struct {
	What    string
	Message string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s not found: %s", e.What, e.Message) }

// ErrNotVerifiable is returned by Verify when the provider offers no cheap authenticated read for this
// configuration; the credential's shape has still been checked.
var ErrNotVerifiable = errors.New("the provider offers no cheap authenticated read for this configuration")

// Classify maps an error returned by a Client to its one Kind. Errors of no provider type (a cancelled
// context, a bug) are transient: the controller retries them with backoff.
func Classify(err error) Kind {
	var (
		perm    *PermanentError
		trans   *TransientError
		cred    *CredentialError
		unknown *OutcomeUnknownError
		nf      *NotFoundError
		undeliv *UndeliveredError
	)
	switch {
	case err == nil:
		return KindNone
	case errors.As(err, &unknown):
		return KindOutcomeUnknown
	case errors.As(err, &cred):
		return KindCredential
	case errors.As(err, &perm):
		return KindPermanent
	case errors.As(err, &nf):
		return KindNotFound
	case errors.As(err, &undeliv):
		return KindTransient
	case errors.As(err, &trans):
		return KindTransient
	}
	return KindTransient
}

// RetryAfter returns the provider's Retry-After carried by err, or zero.
func RetryAfter(err error) time.Duration {
	var trans *TransientError
	if errors.As(err, &trans) {
		return trans.RetryAfter
	}
	return 0
}
