package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/testenv"
)

// The plugin binary, a real API server and an administrator's kubeconfig, shared by every test.
var (
	binary     string
	kubeconfig string
	k8s        client.Client
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kubectl-invitations-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	binary = filepath.Join(dir, "kubectl-invitations")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the plugin: %v\n%s", err, out)
		return 1
	}
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig, ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if k8s, err = client.New(env.Config, client.Options{Scheme: env.Scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// plugin runs the binary with the test kubeconfig and returns what it printed and whether it succeeded.
func plugin(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// mustPlugin is plugin for a run that must succeed.
func mustPlugin(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := plugin(t, args...)
	if err != nil {
		t.Fatalf("kubectl invitations %v: %v\n%s%s", args, err, out, errOut)
	}
	return out
}

// namespace makes a fresh namespace for one test.
func namespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "plugin-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

var (
	longAgo = metav1.NewTime(time.Now().Add(-3 * time.Hour).Truncate(time.Second))
	later   = metav1.NewTime(time.Now().Add(10 * time.Minute).Truncate(time.Second))
)

// siteInvitation creates a WordPress.com SiteInvitation for emails and writes st as its status, the way
// the operator would, so the plugin reads a realistic object without an operator running.
func siteInvitation(t *testing.T, ns, name string, emails []string, st invv1.SiteInvitationStatus) *invv1.SiteInvitation {
	t.Helper()
	ctx := context.Background()
	obj := &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: invv1.SiteInvitationSpec{
		Provider: invv1.ProviderWordPress, ProviderRef: invv1.ProviderReference{Name: "wpcom"}, Site: "example.wordpress.com",
		Roles: []string{"author"}, Emails: emails}}
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	st.ObservedGeneration = obj.Generation
	for i := range st.Conditions {
		st.Conditions[i].LastTransitionTime, st.Conditions[i].ObservedGeneration = longAgo, obj.Generation
	}
	obj.Status = st
	if err := k8s.Status().Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func ready(reason, message string) []metav1.Condition {
	if reason == invv1.ReasonSucceeded {
		return []metav1.Condition{{Type: invv1.ConditionReady, Status: metav1.ConditionTrue, Reason: reason, Message: message}}
	}
	return []metav1.Condition{{Type: invv1.ConditionReady, Status: metav1.ConditionFalse, Reason: reason, Message: message},
		{Type: invv1.ConditionStalled, Status: metav1.ConditionTrue, Reason: reason, Message: message}}
}

func sent(email string, state invv1.InvitationState) invv1.SentInvitation {
	return invv1.SentInvitation{Email: email, InviteID: "key-" + email[:3], Roles: []string{"author"}, SentAt: longAgo, State: state}
}

func failed(email, reason, message string, retryable bool) invv1.FailedInvitation {
	f := invv1.FailedInvitation{Email: email, Reason: reason, Message: message, Retryable: retryable, Attempts: 1, LastAttemptAt: longAgo}
	if retryable {
		f.NextAttemptAt = &later
	}
	return f
}
