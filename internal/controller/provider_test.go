package controller_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

func providerReady(t *testing.T, w *world, name string) string {
	t.Helper()
	var p invv1.InvitationProvider
	NewWithT(t).Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: w.ns, Name: name}, &p)).To(Succeed())
	c := meta.FindStatusCondition(p.Status.Conditions, "Ready")
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + c.Reason
}

// TestProviderConditions: each way a provider's credential can be wrong has its own reason.
func TestProviderConditions(t *testing.T) {
	w := newWorld(t)
	w.start(managerOptions{})
	g := NewWithT(t)
	mk := func(name, secret, key string) {
		w.create(&invv1.InvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns},
			Spec: invv1.InvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{WordPress: &invv1.WordPressProviderSpec{},
				SecretRef: invv1.SecretKeyReference{Name: secret, Key: key}}}})
	}
	w.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "spaces", Namespace: w.ns}, StringData: map[string]string{"key": "a token"}})
	w.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "newline", Namespace: w.ns}, StringData: map[string]string{"key": wpToken + "\n"}})
	mk("no-secret", "missing", "key")
	mk("no-key", "wp-token", "other")
	mk("malformed", "spaces", "key")
	mk("trailing-newline", "newline", "key")
	cases := map[string]string{
		"wp": "True/" + invv1.ReasonVerified, "wix": "True/" + invv1.ReasonVerified,
		"no-secret": "False/" + invv1.ReasonSecretNotFound, "no-key": "False/" + invv1.ReasonKeyNotFound,
		"malformed": "False/" + invv1.ReasonCredentialMalformed, "trailing-newline": "True/" + invv1.ReasonVerified,
	}
	for name, want := range cases {
		g.Eventually(func() string { return providerReady(t, w, name) }).WithTimeout(15*time.Second).Should(Equal(want), name)
	}
}

// TestBadCredentialStopsCallsUntilTheSecretIsFixed: a rejected token marks the provider, every
// SiteInvitation using it stops calling, and fixing the Secret recovers without touching the objects.
func TestBadCredentialStopsCallsUntilTheSecretIsFixed(t *testing.T) {
	w := newWorld(t)
	w.secret("wp-token", "wrong-token")
	w.start(managerOptions{})
	list := emails("cred", 3)
	w.create(w.invitation("blog", invv1.ProviderWordPress, list...))
	w.create(w.invitation("docs", invv1.ProviderWordPress, emails("cred2", 2)...))

	g := NewWithT(t)
	g.Eventually(func() string { return providerReady(t, w, "wp") }).WithTimeout(15 * time.Second).
		Should(Equal("False/" + invv1.ReasonCredentialRejected))
	for _, name := range []string{"blog", "docs"} {
		obj := w.eventually(name, 15*time.Second, stalled(invv1.ReasonCredentialRejected))
		g.Expect(obj.Status.Failed).To(BeEmpty(), "a credential problem is not the emails' fault")
	}
	calls := len(w.wp.CallLog())
	time.Sleep(2 * testResync)
	g.Expect(len(w.wp.CallLog())).To(BeNumerically("<=", calls+1), "the bad token must not burn the rate limit")
	g.Expect(w.wp.Snapshot().Ledger).To(BeEmpty())

	w.secret("wp-token", wpToken)
	w.eventually("blog", 20*time.Second, ready)
	w.eventually("docs", 20*time.Second, ready)
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, list)
	g.Expect(w.get("blog").Generation).To(Equal(int64(1)), "the SiteInvitation was not touched")
}

// TestConfigurationProblemsAreStalledWithoutCalls: each problem gets its own reason and no provider call.
func TestConfigurationProblemsAreStalledWithoutCalls(t *testing.T) {
	w := newWorld(t)
	w.start(managerOptions{})
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

// TestSteadyStateWritesNothing: once Ready, resync periods cost only the observe calls that pending
// invites need, and no status write.
func TestSteadyStateWritesNothing(t *testing.T) {
	w := newWorld(t)
	w.start(managerOptions{})
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
	time.Sleep(2*testResync + testResync/2)
	g := NewWithT(t)
	g.Expect(w.get("shop").ResourceVersion).To(Equal(shop.ResourceVersion), "no write to shop")
	g.Expect(w.get("blog").ResourceVersion).To(Equal(blog.ResourceVersion), "no write to blog")
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
	w.eventually("blog", 3*testResync, func(g Gomega, o *invv1.SiteInvitation) {
		g.Expect(o.Status.Summary.Accepted).To(Equal(int32(1)))
	})
}

// TestFailedRefreshKeepsReady: the periodic look at pending invites failing with 5xx must not flip a
// Ready object (GitOps tools would show every provider hiccup as a degraded app); it is an event, and the
// next resync looks again.
func TestFailedRefreshKeepsReady(t *testing.T) {
	w := newWorld(t)
	w.start(managerOptions{})
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
	// Two failed looks, and Ready at every moment in between.
	for deadline := time.Now().Add(4 * testResync); w.wp.Snapshot().Calls[sandbox.OpList]-lists < 2; time.Sleep(50 * time.Millisecond) {
		g.Expect(time.Now().Before(deadline)).To(BeTrue(), "two looks within four resync periods")
		g.Expect(condition(w.get("blog"), "Ready")).To(HavePrefix("True"), "Ready while the provider fails")
	}
	time.Sleep(time.Second) // the status the failed look would have written
	g.Expect(condition(w.get("blog"), "Ready")).To(Equal("True/Succeeded"))
	g.Eventually(func() bool { return hasEvent(w.events(), invv1.EventRefreshFailed) }).WithTimeout(10*time.Second).
		Should(BeTrue(), "a RefreshFailed event")

	// The provider recovers: the next look records an acceptance.
	w.wp.Faults().Clear()
	g.Expect(w.wp.Accept(wpSiteID, "refresh00@example.com")).To(Succeed())
	w.eventually("blog", 3*testResync, func(g Gomega, o *invv1.SiteInvitation) {
		g.Expect(o.Status.Summary.Accepted).To(Equal(int32(1)))
	})
}

// TestSecretsNeverLeak: a unique token never shows in logs, events, conditions or status, and emails in
// logs and events are masked.
func TestSecretsNeverLeak(t *testing.T) {
	w := newWorld(t)
	canary := "canary-token-7f3a9c1e5b"
	w.secret("wp-token", canary)
	w.start(managerOptions{})
	w.create(w.invitation("blog", invv1.ProviderWordPress, "leak01@example.com"))
	w.eventually("blog", 15*time.Second, stalled(invv1.ReasonCredentialRejected))
	w.secret("wp-token", wpToken)
	w.eventually("blog", 20*time.Second, ready)

	// Everything the operator wrote where people read: logs, events, conditions.
	collect := func() []string {
		seen := []string{w.logs.String()}
		for _, e := range w.events() {
			seen = append(seen, e.Note, e.Reason)
		}
		var provs invv1.InvitationProviderList
		NewWithT(t).Expect(k8s.List(context.Background(), &provs, client.InNamespace(w.ns))).To(Succeed())
		for _, p := range provs.Items {
			for _, c := range p.Status.Conditions {
				seen = append(seen, c.Message)
			}
		}
		for _, c := range w.get("blog").Status.Conditions {
			seen = append(seen, c.Message)
		}
		return seen
	}
	g := NewWithT(t)
	// Events are recorded asynchronously: wait for the one naming the (masked) invitee.
	var seen []string
	g.Eventually(func() string { seen = collect(); return strings.Join(seen, "\n") }).WithTimeout(10 * time.Second).
		Should(ContainSubstring("l***@example.com"))
	all := strings.Join(seen, "\n")
	g.Expect(all).NotTo(ContainSubstring(canary))
	g.Expect(all).NotTo(ContainSubstring(wpToken))
	g.Expect(strings.Join(seen[1:], "\n")).NotTo(ContainSubstring("leak01@example.com"), "events and conditions mask emails")
	g.Expect(seen[0]).NotTo(ContainSubstring("leak01@example.com"), "logs mask emails")
}
