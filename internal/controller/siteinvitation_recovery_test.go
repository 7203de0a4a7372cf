package controller_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/controller"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

// TestStatusLostIsAdopted: the object is deleted and applied again from Git, its status gone. WordPress.com
// shows the pending invites, which are adopted: nobody is invited twice.
func TestStatusLostIsAdopted(t *testing.T) {
	w := newWorld(t)
	w.start(managerOptions{})
	list := emails("lost", 30)
	w.create(w.invitation("blog", invv1.ProviderWordPress, list...))
	w.eventually("blog", 20*time.Second, ready)
	g := NewWithT(t)
	g.Expect(w.wp.Accept(wpSiteID, list[0])).To(Succeed())

	g.Expect(k8s.Delete(context.Background(), w.get("blog"))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(context.Background(), client.ObjectKey{Namespace: w.ns, Name: "blog"}, &invv1.SiteInvitation{}))
	}).WithTimeout(10*time.Second).Should(BeTrue(), "removalPolicy Keep: deletion does not wait")
	w.create(w.invitation("blog", invv1.ProviderWordPress, list...))

	obj := w.eventually("blog", 20*time.Second, ready)
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, list)
	g.Expect(obj.Status.Summary).To(Equal(invv1.InvitationSummary{Desired: 30, Sent: 30, Accepted: 1}))
	for _, s := range obj.Status.Sent {
		g.Expect(s.InviteID).NotTo(BeEmpty(), "adopted invites carry their key")
	}
}

// TestTwoManagersWithoutLeaderElection: two managers reconcile the same objects at once; optimistic
// concurrency on the intent record leaves exactly one of them sending each batch.
func TestTwoManagersWithoutLeaderElection(t *testing.T) {
	w := newWorld(t)
	w.start(managerOptions{})
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

// TestEmailsAddedAndRemoved: new emails are invited, removed ones under Revoke have their pending invite
// revoked, and deleting the object revokes the rest before the finalizer goes.
func TestEmailsAddedAndRemovedWithRevoke(t *testing.T) {
	w := newWorld(t)
	w.start(managerOptions{})
	for _, p := range []invv1.ProviderType{invv1.ProviderWix, invv1.ProviderWordPress} {
		t.Run(string(p), func(t *testing.T) {
			g := NewWithT(t)
			name := "rev-" + string(p[0]+32)
			site := map[invv1.ProviderType]string{invv1.ProviderWix: wixSite, invv1.ProviderWordPress: wpSiteID}[p]
			snap := func() sandbox.Snapshot {
				if p == invv1.ProviderWix {
					return w.wix.Snapshot()
				}
				return w.wp.Snapshot()
			}
			accept := map[invv1.ProviderType]func(string, string) error{invv1.ProviderWix: w.wix.Accept, invv1.ProviderWordPress: w.wp.Accept}[p]
			first := emails(name+"-a", 4)
			obj := w.invitation(name, p, first...)
			obj.Spec.RemovalPolicy = invv1.RemovalPolicyRevoke
			w.create(obj)
			got := w.eventually(name, 20*time.Second, ready)
			g.Expect(got.Finalizers).To(ContainElement(invv1.FinalizerName))
			g.Expect(accept(site, first[0])).To(Succeed())

			// Remove two (one accepted, one pending), add two.
			next := append([]string{first[2], first[3]}, emails(name+"-b", 2)...)
			w.update(name, func(o *invv1.SiteInvitation) { o.Spec.Emails = next })
			got = w.eventually(name, 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
				ready(g, o)
				g.Expect(o.Status.Sent).To(HaveLen(4))
			})
			exactlyOnce(g, snap(), site, append(first, next[2:]...))
			states := map[string]sandbox.InviteState{}
			for _, inv := range snap().Invites {
				states[inv.Email] = inv.State
			}
			g.Expect(states[first[0]]).To(Equal(sandbox.StateAccepted), "an accepted invite is never undone")
			g.Expect(states[first[1]]).To(Equal(sandbox.StateRevoked))
			g.Expect(hasEvent(w.events(), "InvitesRevoked")).To(BeTrue())

			// Deletion revokes every pending invite, then lets go.
			g.Expect(k8s.Delete(context.Background(), got)).To(Succeed())
			g.Eventually(func() bool {
				return apierrors.IsNotFound(k8s.Get(context.Background(), client.ObjectKey{Namespace: w.ns, Name: name}, &invv1.SiteInvitation{}))
			}).WithTimeout(20 * time.Second).Should(BeTrue())
			for _, inv := range snap().Invites {
				g.Expect(inv.State).NotTo(Equal(sandbox.StatePending), "%s is still pending after deletion", inv.Email)
			}
		})
	}
}

// TestDeletionWithKeepNeverWaitsForTheProvider: with removalPolicy Keep there is no finalizer, so an
// unreachable provider cannot block deletion, and pending invites are left alone.
func TestDeletionWithKeepNeverWaitsForTheProvider(t *testing.T) {
	w := newWorld(t)
	stop := w.start(managerOptions{})
	list := emails("keep", 3)
	w.create(w.invitation("shop", invv1.ProviderWix, list...))
	obj := w.eventually("shop", 20*time.Second, ready)
	g := NewWithT(t)
	g.Expect(obj.Finalizers).To(BeEmpty())
	stop()
	w.start(managerOptions{wixURL: "http://127.0.0.1:1"}) // nothing listens there
	g.Expect(k8s.Delete(context.Background(), obj)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), &invv1.SiteInvitation{}))
	}).WithTimeout(10 * time.Second).Should(BeTrue())
	for _, inv := range w.wix.Snapshot().Invites {
		g.Expect(inv.State).To(Equal(sandbox.StatePending))
	}
}
