package v1alpha1

import (
	"errors"
	"regexp"
	"strings"
)

// EmailPattern is the pattern spec.emails items must match: a lowercase addr-spec (dot-atom local part,
// hostname with a top-level label), anchored. It is the same string as the CRD's items pattern, which a
// test checks, so the API server and ValidateEmail can never disagree. The backtick, legal in RFC 5322
// atext, is left out: no provider we know accepts it and it cannot be written in a kubebuilder marker.
const EmailPattern = `^[a-z0-9!#$%&'*+/=?^_{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_{|}~-]+)*@[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z][a-z0-9-]{0,61}[a-z0-9]$`

// Email length limits from RFC 5321, enforced by the CRD (maxLength and a CEL rule) and by ValidateEmail.
const (
	MaxEmailLength     = 254
	MaxEmailLocalPart  = 64
	MaxEmailsPerObject = 500
)

// MaxLedgerEntries bounds len(status.sent)+len(status.failed): every desired email plus at most 5 removed
// ones whose pending invite awaits revocation. The controller holds back new sends rather than exceed it,
// which keeps a full object under 768 KiB (see docs/api.md).
const MaxLedgerEntries = MaxEmailsPerObject + 5

// MaxTokenLength bounds the retry and resend annotation tokens: status.lastHandledRetry and
// lastHandledResend hold at most this many characters.
const MaxTokenLength = 256

var emailRE = regexp.MustCompile(EmailPattern)

// Errors ValidateEmail returns, so callers can tell the user which rule failed.
var (
	ErrEmailTooLong        = errors.New("email is longer than 254 characters")
	ErrEmailLocalTooLong   = errors.New("the part of an email before '@' may be at most 64 characters")
	ErrEmailNotAddrSpec    = errors.New("email must be a bare lowercase address such as ada@example.com")
	ErrEmailHasUppercase   = errors.New("email must be lowercase")
	ErrEmailHasDisplayName = errors.New("email must be a bare address, without a display name or angle brackets")
)

// ValidateEmail accepts exactly the emails the CRD accepts, so objects that bypassed admission (an old CRD,
// a restored backup) are caught by the controller with the same rule instead of reaching a provider.
func ValidateEmail(s string) error {
	switch {
	case len(s) > MaxEmailLength:
		return ErrEmailTooLong
	case !emailRE.MatchString(s):
		switch {
		case strings.ContainsAny(s, "<> "):
			return ErrEmailHasDisplayName
		case strings.ToLower(s) != s && emailRE.MatchString(strings.ToLower(s)):
			return ErrEmailHasUppercase
		}
		return ErrEmailNotAddrSpec
	case strings.IndexByte(s, '@') > MaxEmailLocalPart:
		return ErrEmailLocalTooLong
	}
	return nil
}
