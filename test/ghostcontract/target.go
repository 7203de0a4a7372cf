// Package ghostcontract is the contract between the Ghost fake (internal/sandbox) and a real Ghost: one
// set of scenarios, run against both. The fake runs in every `go test ./...`; the real Ghost (with the
// SMTP sink, through test/ghostenv) when GHOST_INSTALL names an installed Ghost, which `make test-ghost`
// does. A behaviour on which the two differ fails the scenario on one of them.
package ghostcontract

import (
	"testing"

	"github.com/siteops/invitation-operator/test/ghostenv"
)

// Mail is one invitation email as a test sees it: to whom, its subject, and the accept token from its link.
type Mail struct {
	To, Subject, Token string
}

// Target is a Ghost site the scenarios drive: the fake or a real server.
type Target interface {
	// SiteURL is the site URL, also the Admin API's address.
	SiteURL() string
	// StaffKey is the owner's staff access token, IntegrationKey a custom integration's Admin API key.
	StaffKey() string
	IntegrationKey() string
	// Mails returns the invitation emails delivered to addr so far, oldest first.
	Mails(t *testing.T, addr string) []Mail
	// SetMailDown makes the site's mail server refuse connections (down) or accept again.
	SetMailDown(t *testing.T, down bool)
	// InterruptBeforeMail runs send while the site is cut off after it stored the invite and before its
	// mail server accepted the email (real: the sink holds DATA, Ghost is SIGKILLed and restarted on the
	// same database), and returns the emails that never went out, so their tokens can be tried.
	InterruptBeforeMail(t *testing.T, send func()) []Mail
	// InterruptAfterMail runs send while the site is cut off after its mail server took the email and
	// before the invite was marked sent (real: the sink holds DATA, Ghost is SIGKILLed, the sink then
	// delivers the message anyway, and Ghost is restarted on the same database).
	InterruptAfterMail(t *testing.T, send func())
}

// The site both targets have: test/ghostenv bootstraps the real one with these names.
const (
	siteTitle  = ghostenv.SiteTitle
	ownerName  = ghostenv.OwnerName
	ownerEmail = ghostenv.OwnerEmail
)
