// Package ghoste2e runs the operator's manager binary against a real, unmodified Ghost (installed by make
// ghost) and an SMTP sink that records every delivered message: the exactly-once promise judged by a server
// nobody here wrote. make test-ghost runs it; without GHOST_INSTALL it skips.
package ghoste2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/testenv"
	"github.com/siteops/invitation-operator/test/ghostenv"
)

const (
	operatorNS = "invitation-system"
	teamNS     = "team"
	keySecret  = "ghost-key"
)

// rig is one real Ghost with its SMTP sink, a control plane, and the manager binary running against both.
type rig struct {
	t     *testing.T
	ghost *ghostenv.Env
	k8s   client.Client
	log   string // the manager's log file
}

func start(t *testing.T) *rig {
	t.Helper()
	g := NewWithT(t)
	ghost := ghostenv.StartT(t)
	env, kc := testenv.StartForTest(t)
	c, err := client.New(env.Config, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	r := &rig{t: t, ghost: ghost, k8s: c, log: filepath.Join(t.TempDir(), "manager.log")}
	for _, ns := range []string{operatorNS, teamNS} {
		g.Expect(c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	}
	r.secret(ghost.Site.StaffKey)
	g.Expect(c.Create(context.Background(), &invv1.ClusterInvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "ghost"},
		Spec: invv1.ClusterInvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{
			Ghost:     &invv1.GhostProviderSpec{KeyType: invv1.GhostStaffToken, Sites: []string{ghost.Site.URL}},
			SecretRef: invv1.SecretKeyReference{Name: keySecret, Key: "key"},
			// A real Ghost rate-limits bursts of invites less than it mails them slowly; stay gentle.
			RateLimit: &invv1.RateLimit{RequestsPerMinute: 600, Burst: 10}},
			NamespaceSelector: &metav1.LabelSelector{}}})).To(Succeed())

	bin := filepath.Join(t.TempDir(), "manager")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/manager")
	build.Stderr = os.Stderr
	g.Expect(build.Run()).To(Succeed())
	logPath := r.log
	logFile, err := os.Create(logPath)
	g.Expect(err).NotTo(HaveOccurred())
	// Short periods so no scenario waits minutes. The send deadline stays above the provider timeout:
	// Ghost answers a POST only after its mail step, which the sink answers at once.
	cmd := exec.Command(bin, "--kubeconfig", kc, "--leader-elect=false", "--metrics-bind-address=0",
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", testenv.FreePort()), "--cluster-resource-namespace="+operatorNS,
		"--send-deadline=8s", "--provider-timeout=5s", "--resync-period=4s", "--retry-base=1s", "--provider-poll-interval=1s",
		"--zap-log-level=debug")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	g.Expect(cmd.Start()).To(Succeed())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		_ = logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("manager log:\n%s", lastLines(string(b), 80))
		}
	})
	return r
}

func (r *rig) secret(key string) {
	r.t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: keySecret, Namespace: operatorNS}, StringData: map[string]string{"key": key}}
	if err := r.k8s.Create(context.Background(), s); err != nil {
		NewWithT(r.t).Expect(r.k8s.Update(context.Background(), s)).To(Succeed())
	}
}

// ensureGhost starts Ghost again if a scenario left it down, so the next scenario has a server.
func (r *rig) ensureGhost() {
	if r.ghost.Ghost.PID() == 0 {
		if err := r.ghost.Ghost.Start(); err != nil {
			r.t.Errorf("restarting Ghost: %v", err)
		}
	}
}

func (r *rig) invitation(name string, emails ...string) *invv1.SiteInvitation {
	return &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: teamNS}, Spec: invv1.SiteInvitationSpec{
		Provider: invv1.ProviderGhost, ProviderRef: invv1.ProviderReference{Kind: invv1.ClusterInvitationProviderKind, Name: "ghost"},
		Site: r.ghost.Site.URL, Roles: []string{"Author"}, Emails: emails, RemovalPolicy: invv1.RemovalPolicyKeep}}
}

func (r *rig) get(name string) *invv1.SiteInvitation {
	obj := &invv1.SiteInvitation{}
	NewWithT(r.t).Expect(r.k8s.Get(context.Background(), client.ObjectKey{Namespace: teamNS, Name: name}, obj)).To(Succeed())
	return obj
}

func (r *rig) eventually(name string, timeout time.Duration, check func(g Gomega, obj *invv1.SiteInvitation)) *invv1.SiteInvitation {
	r.t.Helper()
	var last *invv1.SiteInvitation
	// On failure, say where the object stands: its status is the operator's own account.
	g := NewGomega(func(message string, _ ...int) {
		if last != nil {
			b, _ := json.MarshalIndent(last.Status, "", "  ")
			message += "\nstatus of " + name + ":\n" + string(b)
		}
		r.t.Fatal(message)
	})
	g.Eventually(func(g Gomega) {
		last = r.get(name)
		check(g, last)
	}).WithTimeout(timeout).WithPolling(250 * time.Millisecond).Should(Succeed())
	return last
}

func ready(g Gomega, obj *invv1.SiteInvitation) {
	c := meta.FindStatusCondition(obj.Status.Conditions, invv1.ConditionReady)
	g.Expect(c).NotTo(BeNil())
	g.Expect(string(c.Status)+"/"+c.Reason).To(Equal("True/"+invv1.ReasonSucceeded), c.Message)
}

// emailsEach says how many invitation emails each address received at the SMTP sink.
func (r *rig) emailsEach(list []string) map[string]int {
	out := map[string]int{}
	for _, e := range list {
		out[e] = len(r.ghost.Sink.MailsTo(e))
	}
	return out
}

func each(list []string, n int) map[string]int {
	out := map[string]int{}
	for _, e := range list {
		out[e] = n
	}
	return out
}

func people(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d@example.com", prefix, i)
	}
	return out
}

// accept is the invited person following the link in their email.
func (r *rig) accept(token, email string) (int, string) {
	r.t.Helper()
	body, _ := json.Marshal(map[string]any{"invitation": []map[string]string{{"token": token, "email": email,
		"name": strings.Split(email, "@")[0], "password": "correct-horse-battery-staple-43"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.ghost.Site.URL+"/ghost/api/admin/authentication/invitation/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	NewWithT(r.t).Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// TestOperatorAgainstARealGhost runs every scenario on one Ghost, one after another, with their own people.
func TestOperatorAgainstARealGhost(t *testing.T) {
	r := start(t)
	begin := time.Now()
	step := func(name string, f func(t *testing.T)) {
		s := time.Now()
		t.Run(name, func(t *testing.T) {
			parent := r.t
			r.t = t // the rig's helpers fail the scenario, not the whole run
			defer func() { r.t = parent }()
			f(t)
		})
		t.Logf("scenario %q took %s", name, time.Since(s).Round(100*time.Millisecond))
	}
	var first []string
	step("twenty people over two objects get one email each", func(t *testing.T) {
		a, b := people("alpha", 10), people("beta", 10)
		for name, list := range map[string][]string{"alpha": a, "beta": b} {
			NewWithT(t).Expect(r.k8s.Create(context.Background(), r.invitation(name, list...))).To(Succeed())
		}
		for _, name := range []string{"alpha", "beta"} {
			obj := r.eventually(name, 3*time.Minute, ready)
			g := NewWithT(t)
			g.Expect(obj.Status.Sent).To(HaveLen(10))
			for _, s := range obj.Status.Sent {
				g.Expect(s.State).To(Equal(invv1.InvitationPending))
				g.Expect(s.InviteID).To(MatchRegexp("^[0-9a-f]{24}$"), "Ghost's own invite id")
				g.Expect(s.ExpiresAt).NotTo(BeNil())
			}
		}
		NewWithT(t).Eventually(func() map[string]int { return r.emailsEach(append(a, b...)) }).WithTimeout(30 * time.Second).
			Should(Equal(each(append(a, b...), 1)))
		NewWithT(t).Consistently(func() map[string]int { return r.emailsEach(append(a, b...)) }).WithTimeout(8*time.Second).
			Should(Equal(each(append(a, b...), 1)), "no second email once the resyncs come round")
		first = a
	})
	step("accepting through Ghost's own endpoint reads Accepted", func(t *testing.T) {
		person := first[0]
		mail := r.ghost.Sink.MailsTo(person)[0]
		status, body := r.accept(mail.Token, person)
		NewWithT(t).Expect(status).To(Equal(http.StatusOK), body)
		r.eventually("alpha", 30*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
			g.Expect(o.Status.Summary.Accepted).To(Equal(int32(1)))
			for _, s := range o.Status.Sent {
				if s.Email == person {
					g.Expect(s.State).To(Equal(invv1.InvitationAccepted))
				}
			}
		})
	})
	step("a removed email under removalPolicy Revoke loses its invite and its link", func(t *testing.T) {
		list := people("rev", 2)
		obj := r.invitation("rev", list...)
		obj.Spec.RemovalPolicy = invv1.RemovalPolicyRevoke
		NewWithT(t).Expect(r.k8s.Create(context.Background(), obj)).To(Succeed())
		r.eventually("rev", 2*time.Minute, ready)
		NewWithT(t).Eventually(func() map[string]int { return r.emailsEach(list) }).WithTimeout(30 * time.Second).Should(Equal(each(list, 1)))
		NewWithT(t).Eventually(func() error {
			o := r.get("rev")
			o.Spec.Emails = list[:1]
			return r.k8s.Update(context.Background(), o)
		}).WithTimeout(10 * time.Second).Should(Succeed())
		r.eventually("rev", time.Minute, func(g Gomega, o *invv1.SiteInvitation) {
			ready(g, o)
			g.Expect(o.Status.Sent).To(HaveLen(1))
		})
		status, body := r.accept(r.ghost.Sink.MailsTo(list[1])[0].Token, list[1])
		NewWithT(t).Expect(status).To(Equal(http.StatusNotFound), "the revoked invite's link no longer works: %s", body)
	})
	step("mail down, then back: one email each, none lost, status true meanwhile", func(t *testing.T) {
		list := people("mail", 3)
		NewWithT(t).Expect(r.ghost.Sink.Stop()).To(Succeed())
		NewWithT(t).Expect(r.k8s.Create(context.Background(), r.invitation("mail", list...))).To(Succeed())
		obj := r.eventually("mail", time.Minute, func(g Gomega, o *invv1.SiteInvitation) {
			g.Expect(o.Status.Failed).To(HaveLen(3))
		})
		for _, f := range obj.Status.Failed {
			NewWithT(t).Expect(f.Reason).To(Equal(provider.ReasonUndelivered), "status says the email was not delivered: %+v", f)
		}
		NewWithT(t).Expect(r.emailsEach(list)).To(Equal(each(list, 0)))
		NewWithT(t).Expect(r.ghost.Sink.Start()).To(Succeed())
		r.eventually("mail", 2*time.Minute, ready)
		NewWithT(t).Eventually(func() map[string]int { return r.emailsEach(list) }).WithTimeout(30 * time.Second).Should(Equal(each(list, 1)))
		NewWithT(t).Consistently(func() map[string]int { return r.emailsEach(list) }).WithTimeout(8 * time.Second).Should(Equal(each(list, 1)))
	})
	step("Ghost SIGKILLed between the operator's requests, then restarted: none twice, none lost", func(t *testing.T) {
		list := people("kill", 4)
		NewWithT(t).Expect(r.k8s.Create(context.Background(), r.invitation("kill", list[:2]...))).To(Succeed())
		r.eventually("kill", 2*time.Minute, ready)
		// Killed while no send is under way, Ghost is down when two more people are added: the operator's
		// requests find nothing listening (a refusal: nothing was sent) and say so, then go out once it is back.
		NewWithT(t).Expect(r.ghost.Ghost.Kill()).To(Succeed())
		defer r.ensureGhost()
		NewWithT(t).Eventually(func() error {
			o := r.get("kill")
			o.Spec.Emails = list
			return r.k8s.Update(context.Background(), o)
		}).WithTimeout(10 * time.Second).Should(Succeed())
		r.eventually("kill", 30*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
			c := meta.FindStatusCondition(o.Status.Conditions, invv1.ConditionReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(invv1.ReasonRetrying), "the object says the provider is unreachable")
			g.Expect(c.Message).To(ContainSubstring("connection refused"))
		})
		NewWithT(t).Expect(r.ghost.Ghost.Start()).To(Succeed())
		r.eventually("kill", 3*time.Minute, ready)
		NewWithT(t).Eventually(func() map[string]int { return r.emailsEach(list) }).WithTimeout(30 * time.Second).Should(Equal(each(list, 1)))
		NewWithT(t).Consistently(func() map[string]int { return r.emailsEach(list) }).WithTimeout(8 * time.Second).Should(Equal(each(list, 1)))
	})
	step("Ghost SIGKILLed inside its own request, after the mail went out: one working link", func(t *testing.T) {
		// Ghost stores the invite, hands the email to the mail server, and only then marks it sent and
		// answers. Killed in between, the invite stays "pending" (never mailed, for all Ghost knows) and the
		// operator's answer is lost; settling by listing sees an undelivered invite and sends again, which
		// replaces it. The person has two emails, and only the second link works: the window docs/providers.md
		// describes. Hold the mail server's answer to land the kill inside that window every time.
		person := "window@example.com"
		r.ghost.Sink.Hold()
		NewWithT(t).Expect(r.k8s.Create(context.Background(), r.invitation("window", person))).To(Succeed())
		NewWithT(t).Eventually(r.ghost.Sink.Holding()).WithTimeout(time.Minute).Should(Receive())
		NewWithT(t).Expect(r.ghost.Ghost.Kill()).To(Succeed())
		defer r.ensureGhost()
		r.ghost.Sink.Release() // the mail server delivers what it was handed
		NewWithT(t).Expect(r.ghost.Ghost.Start()).To(Succeed())
		r.eventually("window", 3*time.Minute, ready)
		var mails []ghostenv.Mail
		NewWithT(t).Eventually(func() int { mails = r.ghost.Sink.MailsTo(person); return len(mails) }).WithTimeout(30 * time.Second).Should(Equal(2))
		NewWithT(t).Consistently(func() int { return len(r.ghost.Sink.MailsTo(person)) }).WithTimeout(8 * time.Second).Should(Equal(2))
		status, body := r.accept(mails[0].Token, person)
		NewWithT(t).Expect(status).To(Equal(http.StatusNotFound), "the first link died with the replaced invite: %s", body)
		status, body = r.accept(mails[1].Token, person)
		NewWithT(t).Expect(status).To(Equal(http.StatusOK), "the second link works: %s", body)
	})
	step("a wrong key is CredentialRejected; fixing the Secret recovers", func(t *testing.T) {
		r.secret("0123456789abcdef01234567:" + strings.Repeat("ab", 32))
		// The operator reads Secrets (never watches them): the provider finds the new key at its next poll.
		NewWithT(t).Eventually(func() string {
			var p invv1.ClusterInvitationProvider
			if err := r.k8s.Get(context.Background(), client.ObjectKey{Name: "ghost"}, &p); err != nil {
				return err.Error()
			}
			if c := meta.FindStatusCondition(p.Status.Conditions, invv1.ConditionReady); c != nil {
				return c.Reason
			}
			return ""
		}).WithTimeout(time.Minute).Should(Equal(invv1.ReasonCredentialRejected))
		list := people("cred", 2)
		NewWithT(t).Expect(r.k8s.Create(context.Background(), r.invitation("cred", list...))).To(Succeed())
		r.eventually("cred", time.Minute, func(g Gomega, o *invv1.SiteInvitation) {
			c := meta.FindStatusCondition(o.Status.Conditions, invv1.ConditionReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(invv1.ReasonCredentialRejected))
		})
		NewWithT(t).Expect(r.emailsEach(list)).To(Equal(each(list, 0)))
		r.secret(r.ghost.Site.StaffKey)
		r.eventually("cred", time.Minute, ready)
		NewWithT(t).Eventually(func() map[string]int { return r.emailsEach(list) }).WithTimeout(30 * time.Second).Should(Equal(each(list, 1)))
	})
	t.Logf("all scenarios: %s (Ghost cold start %s)", time.Since(begin).Round(time.Second), r.ghost.ColdStart.Round(100*time.Millisecond))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
