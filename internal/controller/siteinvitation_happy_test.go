package controller_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
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
	for _, want := range []string{"shop   Wix         " + wixSite + "   50    0      True", "blog   WordPress   " + wpSite + "   50    0      True"} {
		g.Expect(strings.Join(strings.Fields(out), " ")).To(ContainSubstring(strings.Join(strings.Fields(want), " ")))
	}
	g.Eventually(w.events).WithTimeout(10*time.Second).Should(ContainElement(HaveField("Reason", "InvitesSent")), "events are recorded asynchronously")
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
