package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

// The same protocol on Ghost, against the fake: every behaviour of the fake is one the real Ghost showed
// (test/ghostcontract runs the same scenarios against both). make test-ghost runs the operator against a
// real Ghost.

// TestGhostInvitesEveryoneOnce: one invite per call, each email delivered once, with the invite's id and
// expiry in status.
func TestGhostInvitesEveryoneOnce(t *testing.T) {
	w := startedWorld(t)
	prov := w.ghostProvider(invv1.GhostStaffToken)
	list := emails("ghost", 4)
	w.create(w.ghostInvitation(prov, list...))
	obj := w.eventually("blog", 30*time.Second, ready)
	g := NewWithT(t)
	exactlyOnce(g, w.ghost.Snapshot(), ghostSiteID, list)
	g.Expect(w.ghost.Snapshot().Calls[sandbox.OpInvite]).To(Equal(4), "Ghost takes one invite per call")
	for _, s := range obj.Status.Sent {
		g.Expect(s.InviteID).NotTo(BeEmpty())
		g.Expect(s.ExpiresAt).NotTo(BeNil(), "Ghost tells each invite's expiry")
		g.Expect(s.ExpiresAt.Sub(s.SentAt.Time)).To(BeNumerically("~", 7*24*time.Hour, time.Minute))
	}
	g.Expect(w.ghost.Accept(ghostSiteID, list[0])).To(Succeed())
	w.acceptedOnce("blog")
}

// TestGhostMailDownEndsWithOneEmailEach: while the site's mail server is down, Ghost stores each invite
// and answers 500; nobody has a link, and status says so (EmailNotDelivered, retried). Once mail is back
// each person gets exactly one email.
func TestGhostMailDownEndsWithOneEmailEach(t *testing.T) {
	w := startedWorld(t)
	prov := w.ghostProvider(invv1.GhostStaffToken)
	w.ghost.SetMailDown(true)
	list := emails("maildown", 3)
	w.create(w.ghostInvitation(prov, list...))
	obj := w.eventually("blog", 30*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		g.Expect(failedByEmail(o)).To(HaveLen(3))
	})
	g := NewWithT(t)
	for _, f := range obj.Status.Failed {
		g.Expect(f.Reason).To(Equal(provider.ReasonUndelivered))
		g.Expect(f.Retryable).To(BeTrue())
	}
	// Retrying until the next attempt is due, Progressing once it is (the test's retry base is 300ms): never
	// Stalled, never Ready.
	g.Expect(condition(obj, "Ready")).To(BeElementOf("False/"+invv1.ReasonRetrying, "False/"+invv1.ReasonProgressing))
	g.Expect(condition(obj, "Stalled")).NotTo(HavePrefix("True"))
	g.Expect(w.ghost.Snapshot().Ledger).To(BeEmpty(), "nothing was delivered")

	w.ghost.SetMailDown(false)
	w.eventually("blog", 30*time.Second, ready)
	exactlyOnce(g, w.ghost.Snapshot(), ghostSiteID, list)
}

// TestGhostSiteNotServedStalls: a Ghost site is also where the operator connects, so a SiteInvitation
// naming a site its provider does not pin stalls before any call.
func TestGhostSiteNotServedStalls(t *testing.T) {
	w := startedWorld(t)
	prov := w.ghostProvider(invv1.GhostStaffToken)
	obj := w.ghostInvitation(prov, "elsewhere1@example.com")
	obj.Spec.Site = "https://intranet.example.com"
	w.create(obj)
	got := w.eventually("blog", 20*time.Second, stalled(invv1.ReasonSiteNotServed))
	NewWithT(t).Expect(readyMessage(got)).To(ContainSubstring("does not serve site https://intranet.example.com"))
	NewWithT(t).Expect(w.ghost.Snapshot().Calls[sandbox.OpInvite]).To(BeZero())
}

// TestGhostIntegrationKeyCannotSettleOrRevoke: with a create-only key a lost answer stays OutcomeUnknown
// (like Wix), never resent on a guess, and removal under removalPolicy Revoke cannot revoke (an event
// says so).
func TestGhostIntegrationKeyCannotSettleOrRevoke(t *testing.T) {
	w := startedWorld(t)
	prov := w.ghostProvider(invv1.GhostIntegration)
	w.ghost.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, AcceptThenDrop: true, Times: 1})
	list := emails("integ", 3)
	obj := w.ghostInvitation(prov, list...)
	obj.Spec.RemovalPolicy = invv1.RemovalPolicyRevoke
	w.create(obj)
	got := w.eventually("blog", 30*time.Second, stalled(invv1.ReasonOutcomeUnknown))
	g := NewWithT(t)
	g.Expect(failedByEmail(got)).To(HaveLen(1), "the one send whose answer was lost")
	exactlyOnce(g, w.ghost.Snapshot(), ghostSiteID, list)

	w.update("blog", func(o *invv1.SiteInvitation) { o.Spec.Emails = list[:1] })
	w.expectEvent("blog", invv1.EventRevokeSkipped)
	g.Expect(w.ghost.Snapshot().Calls[sandbox.OpRevoke]).To(BeZero(), "an integration key cannot revoke; nothing is tried")
}
