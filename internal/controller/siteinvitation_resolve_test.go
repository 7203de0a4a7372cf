package controller_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/siteops/invitation-operator/internal/sandbox"
)

// TestConfigurationProblemsAreStalledWithoutCalls: each problem gets its own reason and no provider call.
func TestConfigurationProblemsAreStalledWithoutCalls(t *testing.T) {
	w := startedWorld(t)
	g := NewWithT(t)

	mismatch := w.invitation("mismatch", invv1.ProviderWordPress, "a@example.com")
	mismatch.Spec.ProviderRef.Name = "wix"
	w.create(mismatch)
	missing := w.invitation("missing", invv1.ProviderWordPress, "a@example.com")
	missing.Spec.ProviderRef.Name = "nope"
	w.create(missing)
	suspended := w.invitation("suspended", invv1.ProviderWix, "a@example.com")
	suspended.Spec.Suspend = true
	w.create(suspended)

	cluster := &invv1.ClusterInvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "cwp-" + w.ns},
		Spec: invv1.ClusterInvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{WordPress: &invv1.WordPressProviderSpec{},
			SecretRef: invv1.SecretKeyReference{Name: "wp-token", Namespace: w.ns, Key: "key"}},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"invites": "allowed"}}}}
	w.create(cluster)
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), cluster) })
	denied := w.invitation("denied", invv1.ProviderWordPress, "d1@example.com")
	denied.Spec.ProviderRef = invv1.ProviderReference{Kind: invv1.ClusterInvitationProviderKind, Name: cluster.Name}
	w.create(denied)

	w.eventually("mismatch", 15*time.Second, stalled(invv1.ReasonProviderTypeMismatch))
	w.eventually("missing", 15*time.Second, stalled(invv1.ReasonProviderNotFound))
	w.eventually("denied", 15*time.Second, stalled(invv1.ReasonNamespaceNotAllowed))
	w.eventually("suspended", 15*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		g.Expect(condition(o, "Ready")).To(Equal("False/" + invv1.ReasonSuspended))
	})
	g.Expect(w.wix.Snapshot().Calls[sandbox.OpInvite] + w.wp.Snapshot().Calls[sandbox.OpInvite]).To(BeZero())

	// Labelling the namespace admits it: the namespace watch re-queues the object.
	var ns corev1.Namespace
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Name: w.ns}, &ns)).To(Succeed())
	ns.Labels = map[string]string{"invites": "allowed"}
	g.Expect(k8s.Update(context.Background(), &ns)).To(Succeed())
	w.eventually("denied", 15*time.Second, ready)
	// Creating the missing provider re-queues the object that names it.
	w.create(&invv1.InvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "nope", Namespace: w.ns},
		Spec: invv1.InvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{WordPress: &invv1.WordPressProviderSpec{},
			SecretRef: invv1.SecretKeyReference{Name: "wp-token", Key: "key"}}}})
	w.eventually("missing", 15*time.Second, ready)
	w.update("suspended", func(o *invv1.SiteInvitation) { o.Spec.Suspend = false })
	w.eventually("suspended", 15*time.Second, ready)
}
