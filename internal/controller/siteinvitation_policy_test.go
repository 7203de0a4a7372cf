package controller_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/wordpress"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

func (w *world) setPolicy(name string, policy *invv1.ProviderPolicy) {
	w.t.Helper()
	NewWithT(w.t).Eventually(func() error {
		var p invv1.InvitationProvider
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: w.ns, Name: name}, &p); err != nil {
			return err
		}
		p.Spec.Policy = policy
		return k8s.Update(context.Background(), &p)
	}).WithTimeout(10 * time.Second).Should(Succeed())
}

func readyMessage(obj *invv1.SiteInvitation) string {
	if c := meta.FindStatusCondition(obj.Status.Conditions, invv1.ConditionReady); c != nil {
		return c.Message
	}
	return ""
}

// TestPolicyHoldsBackWhatItDoesNotAllow: each policy dimension stops exactly what it forbids, with no
// provider call and a condition naming the rule and the provider; loosening the policy lets the held
// emails go out with no edit of the SiteInvitations, and tightening it revokes nothing.
func TestPolicyHoldsBackWhatItDoesNotAllow(t *testing.T) {
	w := startedWorld(t)
	w.setPolicy("wp", &invv1.ProviderPolicy{AllowedSites: []string{"*.wordpress.com"}, AllowedRoles: []string{"author"},
		AllowedEmailDomains: []string{"example.com"}, MaxEmailsPerObject: 3})
	role := w.invitation("role", invv1.ProviderWordPress, "role1@example.com")
	role.Spec.Roles = []string{"editor"}
	site := w.invitation("site", invv1.ProviderWordPress, "site1@example.com")
	site.Spec.Site = "docs.example.com"
	many := w.invitation("many", invv1.ProviderWordPress, emails("many", 4)...)
	mixed := w.invitation("mixed", invv1.ProviderWordPress, "in@example.com", "out@elsewhere.org")
	for _, o := range []*invv1.SiteInvitation{role, site, many, mixed} {
		w.create(o)
	}
	g := NewWithT(t)
	for name, rule := range map[string]string{"role": "policy.allowedRoles", "site": "policy.allowedSites", "many": "policy.maxEmailsPerObject"} {
		obj := w.eventually(name, 20*time.Second, stalled(invv1.ReasonNotAllowed))
		g.Expect(readyMessage(obj)).To(ContainSubstring(rule+" of InvitationProvider "+w.ns+"/wp"), name)
		g.Expect(obj.Status.Sent).To(BeEmpty(), name)
	}
	obj := w.eventually("mixed", 20*time.Second, stalled(invv1.ReasonNotAllowed))
	g.Expect(readyMessage(obj)).To(ContainSubstring("policy.allowedEmailDomains of InvitationProvider " + w.ns + "/wp"))
	g.Expect(obj.Status.Sent).To(HaveLen(1), "the allowed email goes out")
	g.Expect(failedByEmail(obj)["out@elsewhere.org"].Reason).To(Equal(invv1.ReasonNotAllowed))
	snap := w.wp.Snapshot()
	g.Expect(snap.Calls[sandbox.OpInvite]).To(Equal(1), "one invite call, for in@example.com only")
	g.Expect(snap.Emails(wpSiteID, "out@elsewhere.org")).To(BeZero())
	g.Consistently(inviteCalls(w.wp.Snapshot)).WithTimeout(testResync).Should(Equal(1), "nothing outside the policy is retried")

	// Loosening the policy re-evaluates exactly the objects that use the provider; none is edited.
	w.setPolicy("wp", &invv1.ProviderPolicy{AllowedRoles: []string{"author", "editor"}, MaxEmailsPerObject: 10})
	for _, name := range []string{"role", "site", "many", "mixed"} {
		w.eventually(name, 20*time.Second, ready)
	}
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, append([]string{"role1@example.com", "in@example.com", "out@elsewhere.org"}, emails("many", 4)...))
	g.Expect(w.get("mixed").Generation).To(Equal(mixed.Generation), "the SiteInvitation was not edited")

	// Tightening it revokes nothing and says what is outside now.
	w.setPolicy("wp", &invv1.ProviderPolicy{AllowedEmailDomains: []string{"example.com"}})
	obj = w.eventually("mixed", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		g.Expect(readyMessage(o)).To(ContainSubstring("1 invited before the provider's policy changed are outside it now"))
	})
	g.Expect(obj.Status.Sent).To(HaveLen(2))
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpRevoke]).To(BeZero())
}

// TestClusterProviderAdmission: a ClusterInvitationProvider without namespaceSelector admits no
// namespace and says what to set; {} admits every namespace.
func TestClusterProviderAdmission(t *testing.T) {
	w := startedWorld(t)
	cluster := &invv1.ClusterInvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "open-" + w.ns},
		Spec: invv1.ClusterInvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{WordPress: &invv1.WordPressProviderSpec{},
			SecretRef: invv1.SecretKeyReference{Name: "wp-token", Key: "key"}}}}
	w.create(cluster)
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), cluster) })
	obj := w.invitation("blog", invv1.ProviderWordPress, "adm1@example.com")
	obj.Spec.ProviderRef = invv1.ProviderReference{Kind: invv1.ClusterInvitationProviderKind, Name: cluster.Name}
	w.create(obj)

	got := w.eventually("blog", 20*time.Second, stalled(invv1.ReasonNamespaceNotAllowed))
	g := NewWithT(t)
	g.Expect(readyMessage(got)).To(ContainSubstring("has no spec.namespaceSelector, so it admits no namespace"))
	g.Eventually(func() string { return clusterProviderReady(t, cluster.Name) }).WithTimeout(15 * time.Second).
		Should(Equal("False/" + invv1.ReasonNoNamespaceSelector))
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpInvite]).To(BeZero())

	g.Eventually(func() error {
		var c invv1.ClusterInvitationProvider
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: cluster.Name}, &c); err != nil {
			return err
		}
		c.Spec.NamespaceSelector = &metav1.LabelSelector{}
		return k8s.Update(context.Background(), &c)
	}).WithTimeout(10 * time.Second).Should(Succeed())
	w.eventually("blog", 20*time.Second, ready)
	g.Eventually(func() string { return clusterProviderReady(t, cluster.Name) }).WithTimeout(15 * time.Second).
		Should(Equal("True/" + invv1.ReasonVerified))
}

func clusterProviderReady(t *testing.T, name string) string {
	t.Helper()
	var p invv1.ClusterInvitationProvider
	NewWithT(t).Expect(k8s.Get(context.Background(), client.ObjectKey{Name: name}, &p)).To(Succeed())
	if c := meta.FindStatusCondition(p.Status.Conditions, invv1.ConditionReady); c != nil {
		return string(c.Status) + "/" + c.Reason
	}
	return ""
}

// countingReader counts Secret reads by namespace.
type countingReader struct {
	client.Reader
	mu    atomic.Int32
	other string
}

func (c *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*corev1.Secret); ok && key.Namespace == c.other {
		c.mu.Add(1)
	}
	return c.Reader.Get(ctx, key, obj, opts...)
}

// TestClusterProviderSecretOutsideTheResourceNamespaceIsNeverRead: whoever writes a
// ClusterInvitationProvider cannot make the operator read a Secret in another namespace.
func TestClusterProviderSecretOutsideTheResourceNamespaceIsNeverRead(t *testing.T) {
	w := newWorld(t)
	other := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "victim-"}}
	NewWithT(t).Expect(k8s.Create(context.Background(), other)).To(Succeed())
	w.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "their-token", Namespace: other.Name}, StringData: map[string]string{"key": wpToken}})
	reads := &countingReader{other: other.Name}
	w.start(managerOptions{secretReader: func(r client.Reader) client.Reader { reads.Reader = r; return reads }})
	cluster := &invv1.ClusterInvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "deputy-" + w.ns},
		Spec: invv1.ClusterInvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{WordPress: &invv1.WordPressProviderSpec{},
			SecretRef: invv1.SecretKeyReference{Name: "their-token", Namespace: other.Name, Key: "key"}},
			NamespaceSelector: &metav1.LabelSelector{}}}
	w.create(cluster)
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), cluster) })
	obj := w.invitation("blog", invv1.ProviderWordPress, "deputy1@example.com")
	obj.Spec.ProviderRef = invv1.ProviderReference{Kind: invv1.ClusterInvitationProviderKind, Name: cluster.Name}
	w.create(obj)

	got := w.eventually("blog", 20*time.Second, stalled(invv1.ReasonSecretNamespaceNotAllowed))
	g := NewWithT(t)
	g.Expect(readyMessage(got)).To(ContainSubstring("may only live in the operator's cluster resource namespace " + w.ns))
	g.Eventually(func() string { return clusterProviderReady(t, cluster.Name) }).WithTimeout(15 * time.Second).
		Should(Equal("False/" + invv1.ReasonSecretNamespaceNotAllowed))
	g.Consistently(reads.mu.Load).WithTimeout(testResync).Should(BeZero(), "the Secret in the other namespace is never read")
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpInvite]).To(BeZero())
}

// TestAdoptedInvitesAreNeitherRevokedNorResent: an invite someone else sent, found at the provider, is
// recorded as adopted; removing the email under removalPolicy Revoke and the resend annotation leave it
// alone unless the object opts in.
func TestAdoptedInvitesAreNeitherRevokedNorResent(t *testing.T) {
	w := startedWorld(t)
	theirs, mine := "theirs@example.com", "mine@example.com"
	direct, err := wordpress.NewProvider(provider.Config{Credential: wpToken, BaseURL: w.wpURL})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	_, err = direct.Send(context.Background(), provider.Batch{Site: wpSite, Emails: []string{theirs}, Roles: []string{"author"}})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())

	obj := w.invitation("blog", invv1.ProviderWordPress, theirs, mine)
	obj.Spec.RemovalPolicy = invv1.RemovalPolicyRevoke
	w.create(obj)
	got := w.eventually("blog", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		for _, s := range o.Status.Sent {
			g.Expect(s.InviteID).NotTo(BeEmpty())
		}
	})
	g := NewWithT(t)
	adopted := map[string]bool{}
	for _, s := range got.Status.Sent {
		adopted[s.Email] = s.Adopted
	}
	g.Expect(adopted).To(Equal(map[string]bool{theirs: true, mine: false}))
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, []string{theirs, mine})

	w.update("blog", func(o *invv1.SiteInvitation) { o.Annotations = map[string]string{invv1.ResendAnnotation: "one"} })
	w.eventually("blog", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) { g.Expect(o.Status.LastHandledResend).To(Equal("one")) })
	g.Eventually(func() int { return w.wp.Snapshot().Emails(wpSiteID, mine) }).WithTimeout(10 * time.Second).Should(Equal(2))
	g.Consistently(func() int { return w.wp.Snapshot().Emails(wpSiteID, theirs) }).WithTimeout(testResync).Should(Equal(1), "the adopted invite is not resent")

	w.update("blog", func(o *invv1.SiteInvitation) { o.Spec.Emails = []string{mine} })
	w.eventually("blog", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		g.Expect(o.Status.Sent).To(HaveLen(1))
	})
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpRevoke]).To(BeZero(), "the adopted invite is not revoked")
	for _, inv := range w.wp.Snapshot().Invites {
		g.Expect(inv.State).To(Equal(sandbox.StatePending), inv.Email)
	}
}

// TestEndlessListingStopsAtTheCap: a provider that pages forever is read up to the cap (counted at the
// fake), the object says why it stopped, and nothing is sent on a listing it could not finish.
func TestEndlessListingStopsAtTheCap(t *testing.T) {
	w := startedWorld(t)
	w.wp.Faults().Add(sandbox.Fault{Op: sandbox.OpList, EndlessPages: true})
	w.create(w.invitation("blog", invv1.ProviderWordPress, "endless1@example.com"))
	obj := w.eventually("blog", 60*time.Second, stalled(provider.ReasonListingTooLong))
	g := NewWithT(t)
	pages := provider.MaxListEntries/wordpress.ListPageSize + 1
	g.Expect(readyMessage(obj)).To(ContainSubstring(fmt.Sprintf("did not end within 20000 entries or 32 MiB (read %d entries", pages*wordpress.ListPageSize)))
	g.Expect(readyMessage(obj)).To(ContainSubstring(fmt.Sprintf("in %d pages", pages)))
	// Each listing stops at the cap. The object is reconciled again meanwhile (each resync lists anew), so
	// the count is a whole number of listings only between two of them.
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpList]).To(BeNumerically(">=", pages))
	g.Eventually(func() int { return w.wp.Snapshot().Calls[sandbox.OpList] % pages }).WithTimeout(10*time.Second).WithPolling(20*time.Millisecond).
		Should(BeZero(), "every listing fetched exactly the capped number of pages")
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpInvite]).To(BeZero(), "an unfinished listing cannot rule out an existing invite")
	g.Expect(w.logs.String()).To(ContainSubstring(invv1.ReasonListingInvites), "the long listing showed on the object while it ran")
}

// TestOverlongProviderValuesNeverFailTheStatusWrite: invite keys and roles longer than status holds are
// clamped; the object reaches Ready and nobody is invited twice.
func TestOverlongProviderValuesNeverFailTheStatusWrite(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	w := newWorld(t)
	w.wp = sandbox.NewWordPress(sandbox.WordPressOptions{Sites: cfg.WordPress.Sites, Tokens: cfg.WordPress.Tokens, LongValues: true})
	w.wpURL = serveFake(t, w.wp)
	w.start(managerOptions{})
	list := emails("long", 3)
	w.inviteAndWait("blog", invv1.ProviderWordPress, list...)
	g := NewWithT(t)
	g.Consistently(func() string { return condition(w.get("blog"), "Ready") }).WithTimeout(testResync + testResync/2).Should(Equal("True/Succeeded"))
	obj := w.get("blog")
	for _, s := range obj.Status.Sent {
		g.Expect(len(s.InviteID)).To(BeNumerically("<=", 64))
		for _, r := range s.Roles {
			g.Expect(len(r)).To(BeNumerically("<=", 64))
		}
	}
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, list)
	g.Expect(w.logs.String()).NotTo(ContainSubstring("Too long"), "no status write was rejected")
}

// TestLongTokenGetsAConditionNotAnErrorLoop: a 300-character retry token cannot be recorded; the object
// says so, and its status writes succeed again once the token is fixed.
func TestLongTokenGetsAConditionNotAnErrorLoop(t *testing.T) {
	w := startedWorld(t)
	w.inviteAndWait("blog", invv1.ProviderWordPress, "token1@example.com")
	w.update("blog", func(o *invv1.SiteInvitation) {
		o.Annotations = map[string]string{invv1.RetryAnnotation: strings.Repeat("t", 300)}
	})
	obj := w.eventually("blog", 20*time.Second, stalled(invv1.ReasonInvalidAnnotation))
	g := NewWithT(t)
	g.Expect(readyMessage(obj)).To(ContainSubstring(invv1.RetryAnnotation + " holds 300 characters; a token may have at most 256"))
	w.update("blog", func(o *invv1.SiteInvitation) {
		o.Annotations = map[string]string{invv1.RetryAnnotation: "2026-12-01T10:00:00Z"}
	})
	obj = w.eventually("blog", 20*time.Second, ready)
	g.Expect(obj.Status.LastHandledRetry).To(Equal("2026-12-01T10:00:00Z"))
}

// TestShardsInOneNamespaceEachElectALeader: two sharded managers with leader election in one namespace
// hold different Leases, so both reconcile their own objects.
func TestShardsInOneNamespaceEachElectALeader(t *testing.T) {
	w := newWorld(t)
	w.start(managerOptions{shard: "shard=a"})
	w.start(managerOptions{shard: "shard=b"})
	for _, shard := range []string{"a", "b"} {
		obj := w.invitation("obj-"+shard, invv1.ProviderWordPress, emails("shard"+shard, 2)...)
		obj.Labels = map[string]string{"shard": shard}
		w.create(obj)
	}
	w.eventually("obj-a", 30*time.Second, ready)
	w.eventually("obj-b", 30*time.Second, ready)
}
