package controller_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

// TestEmailsAddedAndRemoved: new emails are invited, removed ones under Revoke have their pending invite
// revoked, and deleting the object revokes the rest before the finalizer goes.
func TestEmailsAddedAndRemovedWithRevoke(t *testing.T) {
	w := startedWorld(t)
	for _, p := range []invv1.ProviderType{invv1.ProviderWix, invv1.ProviderWordPress} {
		t.Run(string(p), func(t *testing.T) {
			g := NewWithT(t)
			name := "rev-" + string(p[0]+32)
			site, fake := w.fake(p)
			snap, accept := fake.Snapshot, fake.Accept
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
			w.expectEvent(name, invv1.EventInvitesRevoked)

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
