package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

func failedByEmail(obj *invv1.SiteInvitation) map[string]invv1.FailedInvitation {
	m := map[string]invv1.FailedInvitation{}
	for _, f := range obj.Status.Failed {
		m[f.Email] = f
	}
	return m
}

func stalled(reason string) func(g Gomega, obj *invv1.SiteInvitation) {
	return func(g Gomega, obj *invv1.SiteInvitation) {
		g.Expect(condition(obj, "Stalled")).To(Equal("True/"+reason), "conditions: %+v", obj.Status.Conditions)
		g.Expect(condition(obj, "Ready")).To(Equal("False/" + reason))
		g.Expect(obj.Status.ObservedGeneration).To(Equal(obj.Generation))
	}
}

// TestPerInviteeErrorsAreRecordedNotRetriedAndRetriedOnRequest: rejections land in status.failed with the
// provider's reason, the rest are sent, nothing is retried by itself, and the retry annotation retries the
// rejected ones exactly once.
func TestPerInviteeErrorsAreRecordedNotRetriedAndRetriedOnRequest(t *testing.T) {
	w := newWorld(t)
	w.wp.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Times: 1, InviteeErrors: map[string]string{"bad@example.com": "invalid_input"}})
	w.start(managerOptions{})
	list := []string{"ok1@example.com", "owner@example.com", "bad@example.com", "ok2@example.com"}
	w.create(w.invitation("blog", invv1.ProviderWordPress, list...))
	obj := w.eventually("blog", 20*time.Second, stalled(invv1.ReasonInvitesFailed))
	role := w.invitation("roles", invv1.ProviderWordPress, "r1@example.com", "r2@example.com")
	role.Spec.Roles = []string{"boss"}
	w.create(role)
	g := NewWithT(t)
	failed := failedByEmail(obj)
	g.Expect(failed).To(HaveLen(2))
	g.Expect(failed["owner@example.com"].Reason).To(Equal(provider.ReasonAlreadyMember))
	g.Expect(failed["owner@example.com"].Message).To(ContainSubstring("already has a role"))
	g.Expect(failed["bad@example.com"].Reason).To(Equal(provider.ReasonInvalidEmail))
	g.Expect(failed["bad@example.com"].Retryable).To(BeFalse())
	g.Expect(obj.Status.Summary.Sent).To(Equal(int32(2)))
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, []string{"ok1@example.com", "ok2@example.com"})

	obj = w.eventually("roles", 20*time.Second, stalled(invv1.ReasonInvitesFailed))
	for _, f := range obj.Status.Failed {
		g.Expect(f.Reason).To(Equal(provider.ReasonUnknownRole))
	}
	g.Expect(obj.Status.Failed).To(HaveLen(2))

	// Nothing is retried by itself: two resync periods later, no new invite call.
	calls := w.wp.Snapshot().Calls[sandbox.OpInvite]
	time.Sleep(2 * testResync)
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpInvite]).To(Equal(calls))

	// A retry request retries both once: bad@ now goes through; owner@ is still a member, which leaves
	// the object Ready (a member is where the invite was meant to lead).
	w.update("blog", func(o *invv1.SiteInvitation) { o.Annotations = map[string]string{invv1.RetryAnnotation: "1"} })
	obj = w.eventually("blog", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		g.Expect(o.Status.LastHandledRetry).To(Equal("1"))
		ready(g, o)
		g.Expect(failedByEmail(o)).To(HaveLen(1))
	})
	g.Expect(meta.FindStatusCondition(obj.Status.Conditions, "Ready").Message).To(ContainSubstring("1 already members"))
	g.Expect(failedByEmail(obj)["owner@example.com"].Attempts).To(Equal(int32(2)))
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, []string{"ok1@example.com", "ok2@example.com", "bad@example.com"})
	g.Expect(w.wp.Snapshot().Invitations(wpSiteID, "owner@example.com")).To(Equal(0))
	calls = w.wp.Snapshot().Calls[sandbox.OpInvite]
	time.Sleep(testResync)
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpInvite]).To(Equal(calls), "a token acts once")

	// Fixing the role in the spec retries the UnknownRole failures without any annotation.
	w.update("roles", func(o *invv1.SiteInvitation) { o.Spec.Roles = []string{"editor"} })
	w.eventually("roles", 20*time.Second, ready)
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, []string{"r1@example.com", "r2@example.com"})
}

// TestRateLimitStormHonoursRetryAfter: after a 429 with Retry-After, no call reaches the provider before
// the deadline, and everyone is invited once in the end.
func TestRateLimitStormHonoursRetryAfter(t *testing.T) {
	w := newWorld(t)
	w.wix.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Status: 429, RetryAfter: "2", Times: 3})
	w.start(managerOptions{})
	list := emails("storm", 12)
	w.create(w.invitation("shop", invv1.ProviderWix, list...))
	w.eventually("shop", 40*time.Second, ready)

	g := NewWithT(t)
	exactlyOnce(g, w.wix.Snapshot(), wixSite, list)
	var invites []sandbox.Call
	for _, c := range w.wix.CallLog() {
		if c.Op == sandbox.OpInvite {
			invites = append(invites, c)
		}
	}
	g.Expect(invites).To(HaveLen(3 + 3)) // three refused, then three batches of 5, 5, 2
	for i := 1; i <= 3; i++ {
		gap := invites[i].At.Sub(invites[i-1].At)
		g.Expect(gap).To(BeNumerically(">=", 2*time.Second-50*time.Millisecond), "call %d came %v after a 429 with Retry-After: 2", i, gap)
	}
}

// Test5xxThenSuccessSendsOnce: a 503 is a refusal (retried with backoff); a 500 to a send may hide an
// applied invite, so WordPress.com settles it by listing before anything is sent again.
func Test5xxThenSuccessSendsOnce(t *testing.T) {
	w := newWorld(t)
	w.wix.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Status: 503, Times: 1})
	w.wp.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Status: 500, Times: 1})
	w.start(managerOptions{})
	wixList, wpList := emails("fivewix", 3), emails("fivewp", 3)
	w.create(w.invitation("shop", invv1.ProviderWix, wixList...))
	w.create(w.invitation("blog", invv1.ProviderWordPress, wpList...))
	w.eventually("shop", 30*time.Second, ready)
	w.eventually("blog", 30*time.Second, ready)
	g := NewWithT(t)
	exactlyOnce(g, w.wix.Snapshot(), wixSite, wixList)
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, wpList)
	g.Expect(w.wix.Snapshot().Calls[sandbox.OpInvite]).To(Equal(2))
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpInvite]).To(Equal(2))
}

// TestAcceptThenDrop: the provider stores the invites and the answer never comes back. WordPress.com is
// settled by listing (0 duplicates, 0 lost); Wix cannot be, so the emails show OutcomeUnknown (0
// duplicates) and are sent again exactly once when a user asks.
func TestAcceptThenDrop(t *testing.T) {
	w := newWorld(t)
	w.wix.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, AcceptThenDrop: true, Times: 1})
	w.wp.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, AcceptThenDrop: true, Times: 1})
	w.start(managerOptions{})
	wixList, wpList := emails("dropwix", 7), emails("dropwp", 25)
	w.create(w.invitation("shop", invv1.ProviderWix, wixList...))
	w.create(w.invitation("blog", invv1.ProviderWordPress, wpList...))

	blog := w.eventually("blog", 30*time.Second, ready)
	g := NewWithT(t)
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, wpList)
	g.Expect(blog.Status.Sent).To(HaveLen(25))

	shop := w.eventually("shop", 30*time.Second, stalled(invv1.ReasonOutcomeUnknown))
	failed := failedByEmail(shop)
	g.Expect(failed).To(HaveLen(5), "the first batch of 5 got no answer")
	for _, f := range failed {
		g.Expect(f.Reason).To(Equal(invv1.ReasonOutcomeUnknown))
		g.Expect(f.Message).To(ContainSubstring(invv1.RetryAnnotation))
	}
	exactlyOnce(g, w.wix.Snapshot(), wixSite, wixList) // the dropped batch was delivered once; nothing resent
	// Events are recorded asynchronously.
	g.Eventually(func() bool { return hasEvent(w.events(), invv1.ReasonOutcomeUnknown) }).WithTimeout(10 * time.Second).Should(BeTrue())

	w.update("shop", func(o *invv1.SiteInvitation) {
		o.Annotations = map[string]string{invv1.RetryAnnotation: "resend-unknown"}
	})
	w.eventually("shop", 30*time.Second, ready)
	snap := w.wix.Snapshot()
	for e := range failed {
		g.Expect(snap.Invitations(wixSite, e)).To(Equal(2), "sent once more, on request, for %s", e)
	}
	time.Sleep(testResync)
	for e := range failed {
		g.Expect(w.wix.Snapshot().Invitations(wixSite, e)).To(Equal(2), "the token acts once")
	}
}
