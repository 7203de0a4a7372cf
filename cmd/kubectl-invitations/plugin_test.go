package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// fleet is two namespaces as a platform team sees them: a blog with one of each state and a rejected
// address, a shop that is Ready, and docs where ada was removed while her invite is still pending.
type fleet struct{ team, other string }

func newFleet(t *testing.T) fleet {
	t.Helper()
	f := fleet{team: namespace(t), other: namespace(t)}
	siteInvitation(t, f.team, "blog", []string{"ada@example.com", "alan@example.com", "bad@example.com", "grace@example.com"},
		invv1.SiteInvitationStatus{
			Sent: []invv1.SentInvitation{sent("ada@example.com", invv1.InvitationAccepted), sent("alan@example.com", invv1.InvitationExpired),
				sent("grace@example.com", invv1.InvitationPending)},
			Failed:     []invv1.FailedInvitation{failed("bad@example.com", "InvalidEmail", "400 invalid_input: Invalid email", false)},
			Conditions: ready(invv1.ReasonInvitesFailed, "1 not invited: 1 InvalidEmail (see status.failed)"),
		})
	siteInvitation(t, f.team, "shop", []string{"ada@example.com", "linus@example.com"}, invv1.SiteInvitationStatus{
		Sent:       []invv1.SentInvitation{sent("ada@example.com", invv1.InvitationPending), sent("linus@example.com", invv1.InvitationAccepted)},
		Conditions: ready(invv1.ReasonSucceeded, "2 of 2 invited, 1 accepted"),
	})
	siteInvitation(t, f.other, "docs", []string{"mary@example.com"}, invv1.SiteInvitationStatus{
		Sent:   []invv1.SentInvitation{sent("ada@example.com", invv1.InvitationPending)},
		Failed: []invv1.FailedInvitation{failed("mary@example.com", invv1.FailureRateLimited, "429 rate limited", true)},
		Conditions: []metav1.Condition{{Type: invv1.ConditionReady, Status: metav1.ConditionFalse, Reason: invv1.ReasonRetrying, Message: "retrying"},
			{Type: invv1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: invv1.ReasonRetrying, Message: "retrying"}},
	})
	return f
}

// rows returns the table's lines split into fields, the heading first.
func rows(out string) [][]string {
	ls := strings.Split(strings.TrimSpace(out), "\n")
	rs := make([][]string, 0, len(ls))
	for _, l := range ls {
		rs = append(rs, strings.Fields(l))
	}
	return rs
}

func rowOf(t *testing.T, out, first string) []string {
	t.Helper()
	for _, r := range rows(out) {
		if len(r) > 0 && r[0] == first {
			return r
		}
	}
	t.Fatalf("no row %q in:\n%s", first, out)
	return nil
}

func TestStatus(t *testing.T) {
	f := newFleet(t)
	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, out string)
	}{
		{"a namespace as a table: counts by state, the reason only when not Ready", []string{"status", "-n", f.team}, func(t *testing.T, out string) {
			if h := rows(out)[0]; !slices.Equal(h, []string{"NAME", "PROVIDER", "PEOPLE", "ACCEPTED", "PENDING", "EXPIRED", "FAILED", "READY", "REASON", "AGE"}) {
				t.Errorf("heading %v", h)
			}
			// The last field is the age of an object created a moment ago.
			if r := rowOf(t, out, "blog"); !slices.Equal(r[:9], []string{"blog", "WordPress", "4", "1", "1", "1", "1", "False", "InvitesFailed"}) ||
				!strings.HasSuffix(r[9], "s") {
				t.Errorf("blog: %v", r)
			}
			if r := rowOf(t, out, "shop"); !slices.Equal(r[:8], []string{"shop", "WordPress", "2", "1", "1", "0", "0", "True"}) || len(r) != 9 {
				t.Errorf("shop: %v", r)
			}
		}},
		{"every namespace", []string{"status", "-A"}, func(t *testing.T, out string) {
			if rows(out)[0][0] != "NAMESPACE" || !strings.Contains(out, f.team) || !strings.Contains(out, f.other) {
				t.Errorf("want a NAMESPACE column and both namespaces:\n%s", out)
			}
		}},
		{"wide: the site, every state and the message", []string{"status", "-n", f.other, "-o", "wide"}, func(t *testing.T, out string) {
			r := rowOf(t, out, "docs")
			if !slices.Equal(r[:13], []string{"docs", "WordPress", "example.wordpress.com", "1", "0", "0", "0", "0", "1", "0", "0", "False", "Retrying"}) ||
				!strings.HasSuffix(out, "retrying\n") {
				t.Errorf("docs: %v", r)
			}
		}},
		{"one object", []string{"status", "-n", f.team, "shop"}, func(t *testing.T, out string) {
			if len(rows(out)) != 2 {
				t.Errorf("want the heading and one row:\n%s", out)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.check(t, mustPlugin(t, c.args...)) })
	}
}

func TestStatusAsJSONAndYAML(t *testing.T) {
	f := newFleet(t)
	for _, format := range []string{"json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			out := mustPlugin(t, "status", "-n", f.team, "-o", format)
			var got struct {
				Items []statusItem `json:"items"`
			}
			if err := yaml.Unmarshal([]byte(out), &got); err != nil { // YAML is a superset of JSON
				t.Fatalf("%v\n%s", err, out)
			}
			if len(got.Items) != 2 || got.Items[0].Name != "blog" || got.Items[0].Reason != "InvitesFailed" ||
				got.Items[0].States["Failed"] != 1 || got.Items[0].States["Expired"] != 1 || got.Items[1].Ready != "True" {
				t.Errorf("items: %+v", got.Items)
			}
			if format == "json" && !json.Valid([]byte(out)) {
				t.Error("not JSON")
			}
		})
	}
}

func TestWho(t *testing.T) {
	f := newFleet(t)
	cases := []struct {
		name, email string
		args        []string
		want        [][]string // NAMESPACE NAME STATE and a piece of DETAIL
	}{
		{"everywhere by default, removed invites included", "Ada@Example.com", nil, [][]string{
			{f.team, "blog", "Accepted", ""}, {f.team, "shop", "Pending", ""}, {f.other, "docs", "Pending", "removed from spec.emails"}}},
		{"-n restricts", "ada@example.com", []string{"-n", f.other}, [][]string{{f.other, "docs", "Pending", "awaiting revocation"}}},
		{"a permanent failure with its reason", "bad@example.com", nil, [][]string{
			{f.team, "blog", "Failed", "InvalidEmail: 400 invalid_input: Invalid email; not retried by itself"}}},
		{"a transient failure with its next attempt", "mary@example.com", nil, [][]string{{f.other, "docs", "Failed", "RateLimited: 429 rate limited; next attempt in 9m"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := mustPlugin(t, append([]string{"who", c.email}, c.args...)...)
			lines := strings.Split(strings.TrimSpace(out), "\n")[1:]
			var mine []string // other tests' namespaces may hold the same people
			for _, l := range lines {
				if strings.HasPrefix(l, f.team+" ") || strings.HasPrefix(l, f.other+" ") {
					mine = append(mine, l)
				}
			}
			if len(mine) != len(c.want) {
				t.Fatalf("want %d rows, got:\n%s", len(c.want), out)
			}
			for _, w := range c.want { // rows come sorted by namespace, whose names are random
				found := false
				for _, l := range mine {
					fields := strings.Fields(l)
					found = found || (fields[0] == w[0] && fields[1] == w[1] && fields[4] == w[2] && strings.Contains(l, w[3]))
				}
				if !found {
					t.Errorf("no row %v in:\n%s", w, strings.Join(mine, "\n"))
				}
			}
		})
	}
	t.Run("nobody", func(t *testing.T) {
		out, errOut, err := plugin(t, "who", "nobody@example.com", "-n", f.team)
		if err != nil || out != "" || !strings.Contains(errOut, "nobody@example.com is in no SiteInvitation in namespace "+f.team) {
			t.Errorf("%v %q %q", err, out, errOut)
		}
	})
	t.Run("as JSON", func(t *testing.T) {
		var got struct {
			Items []whoItem `json:"items"`
		}
		if err := json.Unmarshal([]byte(mustPlugin(t, "who", "bad@example.com", "-n", f.team, "-o", "json")), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Items) != 1 || got.Items[0].Reason != "InvalidEmail" || got.Items[0].Retryable || got.Items[0].Since == nil {
			t.Errorf("%+v", got.Items)
		}
	})
}

func TestExplainShowsTheTroubleshootingText(t *testing.T) {
	f := newFleet(t)
	out := mustPlugin(t, "explain", "-n", f.team, "blog")
	for _, want := range []string{
		"SiteInvitation " + f.team + "/blog (WordPress, site example.wordpress.com)",
		"People: 1 Pending, 1 Accepted, 1 Expired, 1 Failed",
		"Ready=False  InvitesFailed  (3h)",
		"What to do: fix the spec (a role, an address); or set annotation invitations.siteops.dev/retry: <new value>",
		"InvalidEmail (1): bad@example.com",
		"provider said: 400 invalid_input: Invalid email",
		"What it means: the provider refuses the address",
		"Retried automatically: no",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "What it means: some emails were rejected for good") != 1 {
		t.Errorf("a reason shared by Ready and Stalled is explained once:\n%s", out)
	}
	var ex explanation
	if err := json.Unmarshal([]byte(mustPlugin(t, "explain", "-n", f.other, "docs", "-o", "json")), &ex); err != nil {
		t.Fatal(err)
	}
	if len(ex.Conditions) != 2 || !strings.Contains(ex.Conditions[0].Meaning, "transient provider errors") ||
		len(ex.Failures) != 1 || ex.Failures[0].Retried != "yes, at nextAttemptAt" {
		t.Errorf("%+v", ex)
	}
}

func TestPlanShowsWhatResumingWouldDo(t *testing.T) {
	f := newFleet(t)
	out := mustPlugin(t, "plan", "-n", f.team, "blog")
	if !strings.Contains(out, "status.plan is shown only while spec.suspend is true, and this object is running") {
		t.Errorf("a running object: %s", out)
	}
	obj := siteInvitation(t, f.team, "paused", []string{"ada@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"},
		invv1.SiteInvitationStatus{Plan: &invv1.InvitationPlan{
			Send: &invv1.PlannedAction{Count: 4, Emails: []invv1.PlannedEmail{{Email: "b@example.com", Reason: invv1.PlanNotInvited},
				{Email: "c@example.com", Reason: invv1.PlanNotInvited}, {Email: "d@example.com", Reason: invv1.PlanRetryDue}}},
			Resend: &invv1.PlannedAction{Count: 1, Emails: []invv1.PlannedEmail{{Email: "ada@example.com", Reason: invv1.PlanExpired}}},
			Note:   "before a first send the provider is asked for invites that already exist; those are adopted, not sent"}})
	obj.Spec.Suspend = true
	if err := k8s.Update(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	out = mustPlugin(t, "plan", "-n", f.team, "paused")
	for _, want := range []string{"send     4  b@example.com (NotInvited), c@example.com (NotInvited), d@example.com (RetryDue) and 1 more",
		"revoke   0", "resend   1  ada@example.com (Expired)", "reissue  0", "Note: before a first send"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	var got map[string]any
	if err := yaml.Unmarshal([]byte(mustPlugin(t, "plan", "-n", f.team, "paused", "-o", "yaml")), &got); err != nil {
		t.Fatal(err)
	}
	if plan, ok := got["plan"].(map[string]any); !ok || plan["send"].(map[string]any)["count"] != float64(4) {
		t.Errorf("yaml: %v", got)
	}
}

// operatorStandIn plays the operator for one request: it echoes the first new token of annotation into
// status, as the real one does once it has acted on it.
func operatorStandIn(t *testing.T, ns, name, annotation string, echo func(*invv1.SiteInvitationStatus, string)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			obj := &invv1.SiteInvitation{}
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err == nil {
				if token := obj.Annotations[annotation]; token != "" {
					echo(&obj.Status, token)
					if k8s.Status().Update(ctx, obj) == nil {
						return
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
}

func TestRetryAndResendWaitUntilHandled(t *testing.T) {
	ns := namespace(t)
	cases := []struct {
		verb, annotation string
		echo             func(*invv1.SiteInvitationStatus, string)
		handled          func(*invv1.SiteInvitationStatus) string
	}{
		{"retry", invv1.RetryAnnotation, func(st *invv1.SiteInvitationStatus, tok string) { st.LastHandledRetry = tok },
			func(st *invv1.SiteInvitationStatus) string { return st.LastHandledRetry }},
		{"resend", invv1.ResendAnnotation, func(st *invv1.SiteInvitationStatus, tok string) { st.LastHandledResend = tok },
			func(st *invv1.SiteInvitationStatus) string { return st.LastHandledResend }},
	}
	for _, c := range cases {
		t.Run(c.verb, func(t *testing.T) {
			siteInvitation(t, ns, c.verb, []string{"ada@example.com"}, invv1.SiteInvitationStatus{
				Sent: []invv1.SentInvitation{sent("ada@example.com", invv1.InvitationPending)}, Conditions: ready(invv1.ReasonSucceeded, "1 of 1 invited")})
			operatorStandIn(t, ns, c.verb, c.annotation, c.echo)
			out, errOut, err := plugin(t, c.verb, "-n", ns, c.verb)
			if err != nil || !strings.HasPrefix(out, c.verb+" handled.") || !strings.Contains(errOut, c.annotation+"=") {
				t.Fatalf("%v\n%s%s", err, out, errOut)
			}
			obj := &invv1.SiteInvitation{}
			if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: c.verb}, obj); err != nil {
				t.Fatal(err)
			}
			token := obj.Annotations[c.annotation]
			if _, err := time.Parse(time.RFC3339Nano, token); err != nil || c.handled(&obj.Status) != token {
				t.Errorf("token %q (%v), handled %q", token, err, c.handled(&obj.Status))
			}
		})
	}
	t.Run("no operator: bounded by --timeout", func(t *testing.T) {
		siteInvitation(t, ns, "nobody-home", []string{"ada@example.com"}, invv1.SiteInvitationStatus{Conditions: ready(invv1.ReasonSucceeded, "")})
		start := time.Now()
		_, errOut, err := plugin(t, "retry", "-n", ns, "nobody-home", "--timeout", "2s")
		if err == nil || !strings.Contains(errOut, "did not handle the retry request within 2s") || time.Since(start) > 30*time.Second {
			t.Errorf("%v %s", err, errOut)
		}
	})
	t.Run("suspended", func(t *testing.T) {
		obj := siteInvitation(t, ns, "asleep", []string{"ada@example.com"}, invv1.SiteInvitationStatus{})
		obj.Spec.Suspend = true
		if err := k8s.Update(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
		if _, errOut, err := plugin(t, "resend", "-n", ns, "asleep"); err == nil || !strings.Contains(errOut, "is suspended") {
			t.Errorf("%v %s", err, errOut)
		}
	})
}

// TestRunsAsAKubectlPlugin: on the PATH, kubectl finds the binary by its name, as users run it.
func TestRunsAsAKubectlPlugin(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	f := newFleet(t)
	cmd := exec.Command(kubectl, "invitations", "status", "--kubeconfig", kubeconfig, "-n", f.team)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "InvitesFailed") {
		t.Fatalf("kubectl invitations status: %v\n%s", err, out)
	}
}
