package controller_test

import (
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	w.acceptedOnce("blog")
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
	w.acceptedOnce("blog")
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

// TestOneLookServesTheSite: six SiteInvitations of one WordPress.com site through one provider object
// share each look at the site: over two resync periods the site is listed a few times, not once per
// object per period; the objects of another provider object on the same site look for themselves (a look
// never crosses credentials). Acceptances still reach every object.
func TestOneLookServesTheSite(t *testing.T) {
	w := startedWorld(t)
	w.secret("wp-token-2", wpToken)
	w.create(&invv1.InvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "wp2", Namespace: w.ns},
		Spec: invv1.InvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{WordPress: &invv1.WordPressProviderSpec{},
			SecretRef: invv1.SecretKeyReference{Name: "wp-token-2", Key: "key"}, RateLimit: &invv1.RateLimit{RequestsPerMinute: 6000, Burst: 100}}}})
	names := []string{"a", "b", "c", "d", "e", "f"}
	for i, n := range names {
		obj := w.invitation(n, invv1.ProviderWordPress, emails("share-"+n, 3)...)
		if i == len(names)-1 {
			obj.Spec.ProviderRef.Name = "wp2" // the same site through another provider object
		}
		w.create(obj)
	}
	keysKnown := func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		for _, s := range o.Status.Sent {
			g.Expect(s.InviteID).NotTo(BeEmpty())
		}
	}
	for _, n := range names {
		w.eventually(n, 30*time.Second, keysKnown)
	}
	g := NewWithT(t)
	g.Expect(w.wp.Accept(wpSiteID, "share-a00@example.com")).To(Succeed())
	g.Expect(w.wp.Accept(wpSiteID, "share-e01@example.com")).To(Succeed())
	g.Expect(w.wp.Accept(wpSiteID, "share-f02@example.com")).To(Succeed())
	for _, n := range []string{"a", "e", "f"} {
		w.acceptedOnce(n)
	}
	// A look is due every 0.8 resync periods: over 2.5 periods about three per provider object, where one
	// look per object would make eighteen (the bound leaves room for periods that straddle the window).
	before := w.wp.Snapshot().Calls[sandbox.OpList]
	window := 2*testResync + testResync/2
	g.Consistently(func() int { return w.wp.Snapshot().Calls[sandbox.OpList] - before }).WithTimeout(window).
		Should(BeNumerically("<=", 10), "each period one look for the five objects of wp, and one for wp's neighbour on wp2")
	t.Logf("site listings over %v with six objects (five sharing one provider object): %d", window, w.wp.Snapshot().Calls[sandbox.OpList]-before)
}
