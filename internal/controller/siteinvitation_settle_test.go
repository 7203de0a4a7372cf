package controller_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/controller"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

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
	w.expectEvent("shop", invv1.ReasonOutcomeUnknown)

	w.update("shop", func(o *invv1.SiteInvitation) {
		o.Annotations = map[string]string{invv1.RetryAnnotation: "resend-unknown"}
	})
	w.eventually("shop", 30*time.Second, ready)
	// Sent once more, on request, to each unknown email (a second email they were warned of), and to
	// nobody else; the token acts once.
	emailsTo := func() map[string]int {
		snap, out := w.wix.Snapshot(), map[string]int{}
		for _, e := range wixList {
			out[e] = snap.Emails(wixSite, e)
		}
		return out
	}
	want := map[string]int{}
	for _, e := range wixList {
		want[e] = 1
		if _, unknown := failed[e]; unknown {
			want[e] = 2
		}
	}
	g.Consistently(emailsTo).WithTimeout(testResync).Should(Equal(want))
}

var errCrash = errors.New("simulated crash between the provider call and the status write")

// TestCrashBetweenCallAndStatusWrite: the manager stops after the provider accepted a batch and before
// the outcome was recorded. A new manager settles the intent record: WordPress.com by listing (0
// duplicates, 0 lost), Wix as OutcomeUnknown (0 duplicates), never by sending again.
func TestCrashBetweenCallAndStatusWrite(t *testing.T) {
	w := newWorld(t)
	var crashed atomic.Int32
	stop := w.start(managerOptions{hooks: controller.Hooks{AfterSend: func(*invv1.SiteInvitation) error {
		if crashed.Add(1) <= 2 {
			return errCrash
		}
		return nil
	}}})
	wixList, wpList := emails("crashwix", 5), emails("crashwp", 20)
	w.create(w.invitation("shop", invv1.ProviderWix, wixList...))
	w.create(w.invitation("blog", invv1.ProviderWordPress, wpList...))
	g := NewWithT(t)
	g.Eventually(crashed.Load).WithTimeout(10 * time.Second).Should(BeNumerically(">=", 2))
	stop()
	for _, name := range []string{"shop", "blog"} {
		g.Expect(w.get(name).Status.InFlight).NotTo(BeNil(), "the intent record of %s survives the crash", name)
	}

	w.start(managerOptions{})
	w.eventually("blog", 20*time.Second, ready)
	shop := w.eventually("shop", 20*time.Second, stalled(invv1.ReasonOutcomeUnknown))
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, wpList)
	exactlyOnce(g, w.wix.Snapshot(), wixSite, wixList)
	g.Expect(shop.Status.Failed).To(HaveLen(5))
}

// TestTwoManagersWithoutLeaderElection: two managers reconcile the same objects at once; optimistic
// concurrency on the intent record leaves exactly one of them sending each batch.
func TestTwoManagersWithoutLeaderElection(t *testing.T) {
	w := startedWorld(t)
	w.start(managerOptions{})
	var all []string
	for i, p := range []invv1.ProviderType{invv1.ProviderWix, invv1.ProviderWordPress, invv1.ProviderWix, invv1.ProviderWordPress} {
		list := emails("two"+string(rune('a'+i)), 20)
		all = append(all, list...)
		w.create(w.invitation("obj"+string(rune('a'+i)), p, list...))
	}
	for i := range 4 {
		w.eventually("obj"+string(rune('a'+i)), 40*time.Second, ready)
	}
	g := NewWithT(t)
	g.Expect(w.wix.Snapshot().Duplicates).To(BeEmpty())
	g.Expect(w.wp.Snapshot().Duplicates).To(BeEmpty())
	g.Expect(len(w.wix.Snapshot().Ledger) + len(w.wp.Snapshot().Ledger)).To(Equal(len(all)))
}
