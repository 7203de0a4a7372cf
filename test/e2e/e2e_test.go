// Package e2e runs the manager binary out of cluster against the test control plane, authenticated as
// the ServiceAccount that config/rbac defines (impersonation), with the sandbox providers: the samples
// must reach Ready. A permission missing from the generated RBAC fails this test.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/sandbox"
	"github.com/siteops/invitation-operator/internal/testenv"
)

// serviceAccount is the identity config/default gives the manager.
const serviceAccount = "system:serviceaccount:invitation-system:invitation-operator-controller-manager"

type cluster struct {
	t       *testing.T
	root    string
	admin   string // kubeconfig of an administrator
	manager string // kubeconfig impersonating the manager's ServiceAccount
}

func (c *cluster) kubectl(args ...string) string {
	c.t.Helper()
	out, err := c.try(args...)
	if err != nil {
		c.t.Fatalf("kubectl %v: %v\n%s", args, err, out)
	}
	return out
}

func (c *cluster) try(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", c.admin}, args...)...)
	cmd.Dir = c.root
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestSamplesReachReadyAsTheServiceAccount installs config/default (CRDs, RBAC, namespace) server-side,
// runs the manager binary as its ServiceAccount with leader election and secure metrics on, applies the
// samples and waits for every object to be Ready. Dropping any rule the manager needs from
// config/rbac/role.yaml makes it fail.
func TestSamplesReachReadyAsTheServiceAccount(t *testing.T) {
	env, admin := testenv.StartForTest(t)
	dir := t.TempDir()
	c := &cluster{t: t, root: env.Root, admin: admin, manager: filepath.Join(dir, "manager")}
	if err := env.WriteKubeconfig(c.manager, serviceAccount); err != nil {
		t.Fatal(err)
	}

	installer := filepath.Join(dir, "install.yaml")
	out := c.kubectl("kustomize", "config/default")
	if err := os.WriteFile(installer, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	c.kubectl("apply", "--server-side", "--force-conflicts", "-f", installer)

	cfg := sandbox.DefaultConfig()
	wix := httptest.NewServer(sandbox.NewWix(sandbox.WixOptions{Sites: cfg.Wix.Sites, APIKeys: cfg.Wix.APIKeys}))
	defer wix.Close()
	wp := httptest.NewServer(sandbox.NewWordPress(sandbox.WordPressOptions{Sites: cfg.WordPress.Sites, Tokens: cfg.WordPress.Tokens}))
	defer wp.Close()
	ghost := httptest.NewServer(sandbox.NewGhost(sandbox.GhostOptions{Sites: cfg.Ghost.Sites}))
	defer ghost.Close()

	bin := filepath.Join(dir, "manager-bin")
	build := exec.Command("go", "build", "-o", bin, "./cmd/manager")
	build.Dir = env.Root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mgr := exec.CommandContext(ctx, bin, "--kubeconfig", c.manager,
		"--leader-elect", "--leader-election-namespace", "invitation-system",
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", testenv.FreePort()),
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", testenv.FreePort()), "--metrics-secure",
		"--wix-base-url", wix.URL, "--wordpress-base-url", wp.URL, "--ghost-base-url", ghost.URL,
		"--provider-poll-interval=1s", "--resync-period=30s", "--zap-encoder=console")
	mgr.Stdout, mgr.Stderr = &logs, &logs
	if err := mgr.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = mgr.Wait()
		if t.Failed() {
			t.Logf("manager logs:\n%s", logs.String())
		}
	}()

	c.kubectl("create", "namespace", "demo")
	c.kubectl("label", "namespace", "demo", "invitations.siteops.dev/wix=allowed", "invitations.siteops.dev/ghost=allowed")
	c.kubectl("-n", "invitation-system", "create", "secret", "generic", "wix-api-key", "--from-literal=apiKey="+cfg.Wix.APIKeys[0].Secret)
	c.kubectl("-n", "invitation-system", "create", "secret", "generic", "ghost-admin-key", "--from-literal=key="+cfg.Ghost.Sites[0].StaffKeys[0])
	c.kubectl("-n", "demo", "create", "secret", "generic", "wpcom-token", "--from-literal=token="+cfg.WordPress.Tokens[0].Secret)
	c.kubectl("apply", "-n", "demo", "-k", "config/samples")

	for _, target := range []string{"siteinvitation/blog-authors", "siteinvitation/shop-editors", "siteinvitation/blog-writers", "invitationprovider/wpcom"} {
		if out, err := c.try("wait", "-n", "demo", "--for=condition=Ready", "--timeout=90s", target); err != nil {
			t.Fatalf("%s did not become Ready: %v\n%s\n%s", target, err, out, c.kubectl("get", "invitations", "-A", "-o", "wide"))
		}
	}
	for _, cip := range []string{"clusterinvitationprovider/wix", "clusterinvitationprovider/ghost"} {
		if out, err := c.try("wait", "--for=condition=Ready", "--timeout=30s", cip); err != nil {
			t.Fatalf("%s did not become Ready: %v\n%s", cip, err, out)
		}
	}
	// Leader election worked under the manager's own RBAC, and its events were recorded.
	if out := c.kubectl("get", "lease", "-n", "invitation-system", "-o", "name"); !strings.Contains(out, "invitation-operator") {
		t.Errorf("no leader election Lease: %s", out)
	}
	if out := c.kubectl("get", "events.events.k8s.io", "-n", "demo", "-o", "jsonpath={.items[*].reason}"); !strings.Contains(out, "InvitesSent") {
		t.Errorf("no InvitesSent event: %s", out)
	}
	got := c.kubectl("get", "siteinvitation", "-n", "demo", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.summary.sent}/{.status.summary.desired} {end}")
	if strings.TrimSpace(got) != "blog-authors=2/2 blog-writers=2/2 shop-editors=2/2" {
		t.Errorf("summaries: %s", got)
	}
}
