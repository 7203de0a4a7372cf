package controller_test

import (
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

// TestSteadyStateWritesNothing: once Ready, resync periods cost only the observe calls that pending
// invites need, and no status write.
func TestSteadyStateWritesNothing(t *testing.T) {
	w := startedWorld(t)
	w.create(w.invitation("shop", invv1.ProviderWix, emails("steady", 10)...))
	w.create(w.invitation("blog", invv1.ProviderWordPress, emails("steady", 10)...))
	shop := w.eventually("shop", 20*time.Second, ready)
	w.eventually("blog", 20*time.Second, ready)
	// Let the first refresh after the sends learn WordPress.com's invite keys (one write), then measure.
	w.eventually("blog", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		for _, s := range o.Status.Sent {
			g.Expect(s.InviteID).NotTo(BeEmpty())
		}
	})
	blog := w.get("blog")
	wixBefore, wpBefore := w.wix.Snapshot().Calls, w.wp.Snapshot().Calls
	g := NewWithT(t)
	g.Consistently(func() []string { return []string{w.get("shop").ResourceVersion, w.get("blog").ResourceVersion} }).
		WithTimeout(2*testResync+testResync/2).Should(Equal([]string{shop.ResourceVersion, blog.ResourceVersion}), "no status write")
	wixAfter, wpAfter := w.wix.Snapshot().Calls, w.wp.Snapshot().Calls
	t.Logf("calls over two resync periods: Wix %d contributors queries, WordPress.com %d lists",
		wixAfter[sandbox.OpContributors]-wixBefore[sandbox.OpContributors], wpAfter[sandbox.OpList]-wpBefore[sandbox.OpList])
	g.Expect(wixAfter[sandbox.OpInvite]).To(Equal(wixBefore[sandbox.OpInvite]))
	g.Expect(wpAfter[sandbox.OpInvite]).To(Equal(wpBefore[sandbox.OpInvite]))
	g.Expect(wixAfter[sandbox.OpContributors] - wixBefore[sandbox.OpContributors]).To(BeNumerically("<=", 3))
	g.Expect(wpAfter[sandbox.OpList] - wpBefore[sandbox.OpList]).To(BeNumerically("<=", 3))
	g.Expect(wpAfter[sandbox.OpUsers]).To(Equal(wpBefore[sandbox.OpUsers]), "no per-email member search while invites are listed")

	// An acceptance is seen at the next resync, and recorded.
	g.Expect(w.wp.Accept(wpSiteID, "steady00@example.com")).To(Succeed())
	w.acceptedBy("blog", 1)
}

// TestFailedRefreshKeepsReady: the periodic look at pending invites failing with 5xx must not flip a
// Ready object (GitOps tools would show every provider hiccup as a degraded app); it is an event, and the
// next resync looks again.
func TestFailedRefreshKeepsReady(t *testing.T) {
	w := startedWorld(t)
	w.create(w.invitation("blog", invv1.ProviderWordPress, emails("refresh", 3)...))
	w.eventually("blog", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		for _, s := range o.Status.Sent {
			g.Expect(s.InviteID).NotTo(BeEmpty())
		}
	})
	w.wp.Faults().Add(sandbox.Fault{Op: sandbox.OpList, Status: http.StatusBadGateway})
	lists := w.wp.Snapshot().Calls[sandbox.OpList]
	g := NewWithT(t)
	// Ready at every moment while the provider fails, over long enough for two looks (a refresh is due
	// every 0.8 resync periods).
	g.Consistently(func() string { return condition(w.get("blog"), "Ready") }).WithTimeout(2*testResync+testResync/2).
		Should(Equal("True/Succeeded"), "Ready while the provider fails")
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpList]-lists).To(BeNumerically(">=", 2), "the failing looks were made")
	w.expectEvent("blog", invv1.EventRefreshFailed)

	// The provider recovers: the next look records an acceptance.
	w.wp.Faults().Clear()
	g.Expect(w.wp.Accept(wpSiteID, "refresh00@example.com")).To(Succeed())
	w.acceptedBy("blog", 1)
}

// TestExpiredInvitesAreSeen: an invite that lapses at the provider reads Expired at the next look; it does
// not clear Ready, and it is not sent again by itself.
func TestExpiredInvitesAreSeen(t *testing.T) {
	w := startedWorld(t)
	list := emails("expire", 3)
	w.inviteAndWait("blog", invv1.ProviderWordPress, list...)
	g := NewWithT(t)
	g.Expect(w.wp.Expire(wpSiteID, list[1])).To(Succeed())
	w.eventually("blog", 3*testResync, func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		states := map[string]invv1.InvitationState{}
		for _, s := range o.Status.Sent {
			states[s.Email] = s.State
		}
		g.Expect(states).To(Equal(map[string]invv1.InvitationState{list[0]: invv1.InvitationPending,
			list[1]: invv1.InvitationExpired, list[2]: invv1.InvitationPending}))
	})
	g.Consistently(inviteCalls(w.wp.Snapshot)).WithTimeout(testResync).Should(Equal(1), "an expired invite is not resent by itself")
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, list)
}
