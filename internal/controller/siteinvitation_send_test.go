package controller_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/siteops/invitation-operator/internal/controller"
	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

// TestHappyPathInvitesEveryoneOnce: 50 emails per provider, every one invited exactly once, the summary
// and the printer columns (through the real kubectl) say so, and the cost is the minimum the protocol
// allows.
func TestHappyPathInvitesEveryoneOnce(t *testing.T) {
	w := newWorld(t)
	reg := prometheus.NewRegistry()
	w.start(managerOptions{registry: reg})
	wixEmails, wpEmails := emails("wix", 50), emails("wp", 50)
	w.create(w.invitation("shop", invv1.ProviderWix, wixEmails...))
	w.create(w.invitation("blog", invv1.ProviderWordPress, wpEmails...))

	for _, name := range []string{"shop", "blog"} {
		obj := w.eventually(name, 30*time.Second, ready)
		g := NewWithT(t)
		g.Expect(obj.Status.Summary).To(Equal(invv1.InvitationSummary{Desired: 50, Sent: 50}))
		g.Expect(obj.Status.Sent).To(HaveLen(50))
		g.Expect(obj.Status.Failed).To(BeEmpty())
		g.Expect(obj.Status.InFlight).To(BeNil())
		g.Expect(obj.Finalizers).To(BeEmpty(), "removalPolicy Keep needs no finalizer")
	}
	g := NewWithT(t)
	exactlyOnce(g, w.wix.Snapshot(), wixSite, wixEmails)
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, wpEmails)
	for _, s := range w.get("shop").Status.Sent {
		g.Expect(s.InviteID).NotTo(BeEmpty(), "Wix answers with the invite ID")
		g.Expect(s.Roles).To(Equal([]string{wixRole}))
	}

	// Provider calls: Wix batches of 5 → 10 invite calls; WordPress.com batches of 20 → 3 invite calls,
	// plus one list before the first send (adoption). Status writes: one intent and one outcome per batch.
	wixCalls, wpCalls := w.wix.Snapshot().Calls, w.wp.Snapshot().Calls
	g.Expect(wixCalls[sandbox.OpInvite]).To(Equal(10))
	g.Expect(wpCalls[sandbox.OpInvite]).To(Equal(3))
	g.Expect(wpCalls[sandbox.OpList]).To(BeNumerically(">=", 1))
	writes := testutil.ToFloat64(mustGather(t, reg, "invitation_operator_status_writes_total"))
	t.Logf("provider calls: Wix %v, WordPress.com %v; status writes for both objects: %.0f", wixCalls, wpCalls, writes)
	g.Expect(writes).To(Equal(2.0 * (10 + 3)))

	// The printer columns a user sees.
	out := kubectl(t, "get", "siteinvitations", "-n", w.ns, "--no-headers")
	for _, want := range []string{"shop Wix " + wixSite + " 50 0 0 True Succeeded", "blog WordPress " + wpSite + " 50 0 0 True Succeeded"} {
		g.Expect(strings.Join(strings.Fields(out), " ")).To(ContainSubstring(strings.Join(strings.Fields(want), " ")))
	}
	w.expectEvent("shop", invv1.EventInvitesSent)
	w.expectEvent("blog", invv1.EventInvitesSent)
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
	g.Consistently(inviteCalls(w.wp.Snapshot)).WithTimeout(2 * testResync).Should(Equal(calls))

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
	g.Consistently(inviteCalls(w.wp.Snapshot)).WithTimeout(testResync).Should(Equal(calls), "a token acts once")

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
	w.inviteAndWait("shop", invv1.ProviderWix, list...)

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

// Test5xxThenSuccessSendsOnce: a 503 is a refusal (retried with backoff). A 500 to a send may hide an
// applied invite, so WordPress.com settles it by listing before anything is sent again: when the invites
// were stored, the listing finds them and nothing is sent twice; when they were not, they are sent again.
func Test5xxThenSuccessSendsOnce(t *testing.T) {
	w := newWorld(t)
	w.wix.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Status: 503, Times: 1})
	w.wp.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Status: 500, Applied: true, Times: 1})
	w.start(managerOptions{})
	wixList, wpList := emails("fivewix", 3), emails("fivewp", 3)
	w.create(w.invitation("shop", invv1.ProviderWix, wixList...))
	w.create(w.invitation("blog", invv1.ProviderWordPress, wpList...))
	w.eventually("shop", 30*time.Second, ready)
	blog := w.eventually("blog", 30*time.Second, ready)
	g := NewWithT(t)
	exactlyOnce(g, w.wix.Snapshot(), wixSite, wixList)
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, wpList)
	g.Expect(w.wix.Snapshot().Calls[sandbox.OpInvite]).To(Equal(2), "the refused send is retried")
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpInvite]).To(Equal(1), "the stored invites are found by listing, not sent again")
	g.Expect(blog.Status.Summary.Sent).To(Equal(int32(3)))

	// A 500 that stored nothing: the listing shows no invite, so they go out again, once.
	w.wp.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Status: 500, Times: 1})
	again := emails("fivewp-again", 3)
	w.inviteAndWait("docs", invv1.ProviderWordPress, again...)
	exactlyOnce(g, w.wp.Snapshot(), wpSiteID, again)
	g.Expect(w.wp.Snapshot().Calls[sandbox.OpInvite]).To(Equal(3))
}

// TestOutcomeWriteConflictIsReapplied: the object changes between the provider's answer and the outcome
// write (a user edits it, another tool annotates it). The write conflicts; the outcome is applied again to
// a fresh copy, so what was sent is recorded and nothing is sent twice.
func TestOutcomeWriteConflictIsReapplied(t *testing.T) {
	w := newWorld(t)
	var edits atomic.Int32
	w.start(managerOptions{hooks: controller.Hooks{AfterSend: func(obj *invv1.SiteInvitation) error {
		if edits.Add(1) > 1 {
			return nil
		}
		fresh := &invv1.SiteInvitation{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), fresh); err != nil {
			return err
		}
		fresh.Annotations = map[string]string{"example.com/edited": "during-the-send"}
		return k8s.Update(context.Background(), fresh)
	}}})
	list := emails("conflict", 12)
	obj := w.inviteAndWait("shop", invv1.ProviderWix, list...)
	g := NewWithT(t)
	g.Expect(edits.Load()).To(BeNumerically(">=", 3), "three batches were sent")
	g.Expect(obj.Annotations).To(HaveKeyWithValue("example.com/edited", "during-the-send"), "the edit is kept")
	g.Expect(obj.Status.Sent).To(HaveLen(12))
	g.Expect(obj.Status.Failed).To(BeEmpty())
	exactlyOnce(g, w.wix.Snapshot(), wixSite, list)
	g.Expect(w.wix.Snapshot().Calls[sandbox.OpInvite]).To(Equal(3), "batches of 5, 5, 2: none sent twice")
}

// TestStatusLostIsAdopted: the object is deleted and applied again from Git, its status gone. WordPress.com
// shows the pending invites, which are adopted: nobody is invited twice.
func TestStatusLostIsAdopted(t *testing.T) {
	w := startedWorld(t)
	list := emails("lost", 30)
	w.inviteAndWait("blog", invv1.ProviderWordPress, list...)
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

func mustGather(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	return gathered{reg: reg, name: name}
}

// gathered sums every series of one metric family, so testutil.ToFloat64 can read it.
type gathered struct {
	reg  *prometheus.Registry
	name string
}

func (g gathered) Describe(ch chan<- *prometheus.Desc) {
	ch <- prometheus.NewDesc(g.name, "sum", nil, nil)
}

func (g gathered) Collect(ch chan<- prometheus.Metric) {
	families, _ := g.reg.Gather()
	sum := 0.0
	for _, f := range families {
		if f.GetName() != g.name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(g.name, "sum", nil, nil), prometheus.GaugeValue, sum)
}

// kubectl runs the real kubectl against the test API server.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	user, err := env.AddUser(envtest.User{Name: "tester", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", path}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %v: %v\n%s", args, err, out)
	}
	return string(out)
}
