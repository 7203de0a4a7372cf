package controller_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	. "github.com/onsi/gomega"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

// TestDeletionWithKeepNeverWaitsForTheProvider: with removalPolicy Keep there is no finalizer, so a
// provider cannot block deletion, and pending invites are left alone even though the provider could be
// reached to revoke them.
func TestDeletionWithKeepNeverWaitsForTheProvider(t *testing.T) {
	w := startedWorld(t)
	list := emails("keep", 3)
	obj := w.inviteAndWait("shop", invv1.ProviderWix, list...)
	g := NewWithT(t)
	g.Expect(obj.Finalizers).To(BeEmpty())
	g.Expect(k8s.Delete(context.Background(), obj)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), &invv1.SiteInvitation{}))
	}).WithTimeout(10 * time.Second).Should(BeTrue())
	pending := func() []sandbox.InviteState {
		invites := w.wix.Snapshot().Invites
		states := make([]sandbox.InviteState, 0, len(invites))
		for _, inv := range invites {
			states = append(states, inv.State)
		}
		return states
	}
	g.Consistently(pending).WithTimeout(testResync).Should(HaveEach(sandbox.StatePending))
	g.Expect(w.wix.Snapshot().Calls[sandbox.OpRevoke]).To(BeZero())
}

// TestFinalizeWhenTheProviderIsGone: under removalPolicy Revoke, an object whose provider object was
// deleted cannot revoke anything; deletion goes ahead with a RevokeSkipped event instead of hanging.
func TestFinalizeWhenTheProviderIsGone(t *testing.T) {
	w := startedWorld(t)
	obj := w.invitation("shop", invv1.ProviderWix, emails("orphan", 3)...)
	obj.Spec.RemovalPolicy = invv1.RemovalPolicyRevoke
	w.create(obj)
	obj = w.eventually("shop", 20*time.Second, ready)
	g := NewWithT(t)
	g.Expect(obj.Finalizers).To(ContainElement(invv1.FinalizerName))
	g.Expect(k8s.Delete(context.Background(), &invv1.InvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "wix", Namespace: w.ns}})).To(Succeed())
	g.Expect(k8s.Delete(context.Background(), obj)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), &invv1.SiteInvitation{}))
	}).WithTimeout(20*time.Second).Should(BeTrue(), "deletion is not blocked by a provider that is gone")
	w.expectEvent("shop", invv1.EventRevokeSkipped)
	g.Expect(w.wix.Snapshot().Calls[sandbox.OpRevoke]).To(BeZero())
}
