package controller_test

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/sandbox"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
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
	w := startedWorld(t)
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
	g.Consistently(func() int { return len(w.wp.CallLog()) }).WithTimeout(2*testResync).
		Should(BeNumerically("<=", calls+1), "the bad token must not burn the rate limit")
	g.Expect(w.wp.Snapshot().Ledger).To(BeEmpty())

	// The fix is in the Secret alone; this test never touches the SiteInvitations again.
	w.secret("wp-token", wpToken)
	w.eventually("blog", 20*time.Second, ready)
	w.eventually("docs", 20*time.Second, ready)
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, list)
}

// TestProviderDeletedAndRecreated: deleting a provider stalls the objects that use it, with no call made
// with the forgotten credential; creating it again recovers them.
func TestProviderDeletedAndRecreated(t *testing.T) {
	w := startedWorld(t)
	list := emails("provdel", 3)
	w.inviteAndWait("blog", invv1.ProviderWordPress, list...)
	g := NewWithT(t)
	var prov invv1.InvitationProvider
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: w.ns, Name: "wp"}, &prov)).To(Succeed())
	g.Expect(k8s.Delete(context.Background(), &prov)).To(Succeed())

	// A spec change makes the object act: with its provider gone, it stalls and sends nothing.
	w.update("blog", func(o *invv1.SiteInvitation) { o.Spec.Emails = append(o.Spec.Emails, "provdel-new@example.com") })
	w.eventually("blog", 20*time.Second, stalled(invv1.ReasonProviderNotFound))
	g.Consistently(inviteCalls(w.wp.Snapshot)).WithTimeout(testResync).Should(Equal(1), "only the first batch was sent")

	w.create(&invv1.InvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "wp", Namespace: w.ns},
		Spec: invv1.InvitationProviderSpec{ProviderSpec: prov.Spec.ProviderSpec}})
	w.eventually("blog", 20*time.Second, ready)
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, append(list, "provdel-new@example.com"))
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
	// A provider that echoes the request's Authorization header in its error body.
	w.wp.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Status: 400, EchoAuthorization: true, Times: 1})
	w.create(w.invitation("echo", invv1.ProviderWordPress, "leak02@example.com"))
	echo := w.eventually("echo", 15*time.Second, stalled(invv1.ReasonInvitesFailed))
	NewWithT(t).Expect(echo.Status.Failed[0].Message).To(ContainSubstring("[redacted]"), "the echo reached status, redacted")

	// Everything the operator wrote where people read: logs, events, conditions, status.
	collect := func() []string {
		seen := []string{w.logs.String()}
		for _, e := range w.events("") {
			seen = append(seen, e.Note, e.Reason)
		}
		var provs invv1.InvitationProviderList
		NewWithT(t).Expect(k8s.List(context.Background(), &provs, client.InNamespace(w.ns))).To(Succeed())
		for _, p := range provs.Items {
			for _, c := range p.Status.Conditions {
				seen = append(seen, c.Message)
			}
		}
		for _, name := range []string{"blog", "echo"} {
			obj := w.get(name)
			for _, c := range obj.Status.Conditions {
				seen = append(seen, c.Message)
			}
			for _, f := range obj.Status.Failed {
				seen = append(seen, f.Message)
			}
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
	g.Expect(all).NotTo(ContainSubstring("Bearer "), "no form of the credential, not even its scheme with the token cut off")
	g.Expect(all).NotTo(ContainSubstring("Bearer"), "no form of the credential")
	g.Expect(seen[0]).NotTo(ContainSubstring("leak01@example.com"), "logs mask emails")
}
