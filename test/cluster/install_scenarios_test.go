package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kustomizeInstallReady: `kubectl apply --server-side -k config/default`, unchanged, brings the manager to
// Available in its restricted namespace and it takes the leader Lease; `kubectl delete -k` removes it all.
func kustomizeInstallReady(t *testing.T, c *cluster) {
	c.kubectl(t, "apply", "--server-side", "-k", c.path("config/default"))
	c.deploymentAvailable(t, deploymentName, 1, 3*time.Minute)
	var ns struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	c.getJSON(t, &ns, "namespace", releaseNS)
	if ns.Metadata.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("config/default's namespace does not enforce the restricted standard: %v", ns.Metadata.Labels)
	}
	eventually(t, time.Minute, "the manager to take the leader Lease", func() (bool, string) {
		l := c.leader(t)
		pods := c.managerPods(t)
		return l != "" && len(pods) == 1 && l == pods[0], "leader " + l
	})
	c.kubectl(t, "delete", "-k", c.path("config/default"), "--wait", "--timeout=2m")
	c.gone(t, 2*time.Minute, "the kustomize install", "namespace/"+releaseNS, "crd/siteinvitations.invitations.siteops.dev")
}

// helmInstallRestricted: a bad value stops `helm install` with a message naming it, before anything is
// created; then `helm install --wait` brings the Deployment to Available in a namespace that enforces the
// restricted Pod Security Standard (a Pod that broke it would not be admitted, so it could not be Available).
func helmInstallRestricted(t *testing.T, c *cluster) {
	c.namespace(t, releaseNS, restricted)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("resyncPeriod: 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := c.tryHelm("install", release, c.path("charts/invitation-operator"), "-n", releaseNS, "-f", bad)
	if err == nil || !strings.Contains(out, "/resyncPeriod") || !strings.Contains(out, "want string") {
		t.Errorf("helm install with resyncPeriod: 10 must fail naming the value, got %v:\n%s", err, out)
	}
	if list := c.helm(t, "list", "-n", releaseNS, "-q"); strings.TrimSpace(list) != "" {
		t.Fatalf("the rejected install left a release: %s", list)
	}

	c.helm(t, "install", release, c.path("charts/invitation-operator"), "-n", releaseNS, "-f", c.values(t, nil),
		"--wait", "--timeout", "3m")
	c.deploymentAvailable(t, deploymentName, 1, time.Minute)
	if events := c.kubectl(t, "get", "events", "-n", releaseNS, "--field-selector", "reason=FailedCreate", "-o", "name"); strings.TrimSpace(events) != "" {
		t.Errorf("Pods were refused on the way: %s", events)
	}
}

// sandboxGhostStaffKey is the sandbox Ghost's staff access token (internal/sandbox/default.yaml); the
// manager reaches the sample's site through --ghost-base-url.
const sandboxGhostStaffKey = "5a4db0c5a4db0c5a4db0c5a1:5a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c5"

// samplesReadyAtLedger: config/samples — ClusterInvitationProviders for Wix and Ghost, an
// InvitationProvider (WordPress.com) and a SiteInvitation for each — reach Ready against the sandbox over
// HTTPS, and the sandbox's ledgers show exactly one invitation email per person.
func samplesReadyAtLedger(t *testing.T, c *cluster) {
	c.namespace(t, "demo", map[string]string{"invitations.siteops.dev/wix": "allowed", "invitations.siteops.dev/ghost": "allowed"})
	c.secret(t, releaseNS, "wix-api-key", "apiKey", "sandbox-wix-api-key")
	c.secret(t, "demo", "wpcom-token", "token", "sandbox-wpcom-token")
	c.secret(t, releaseNS, "ghost-admin-key", "key", sandboxGhostStaffKey)
	c.kubectl(t, "apply", "--server-side", "-n", "demo", "-k", c.path("config/samples"))
	c.waitReady(t, "", "clusterinvitationprovider/wix", "clusterinvitationprovider/ghost")
	c.waitReady(t, "demo", "invitationprovider/wpcom", "siteinvitation/blog-authors", "siteinvitation/shop-editors", "siteinvitation/blog-writers")

	wp, wix := []string{"ada@example.com", "grace@example.com"}, []string{"linus@example.com", "margaret@example.com"}
	ghost := []string{"rosalind@example.com", "barbara@example.com"}
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_WP"), wp)
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_WIX"), wix)
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_GHOST"), ghost)
	for name, want := range map[string][]string{"blog-authors": wp, "shop-editors": wix, "blog-writers": ghost} {
		s := c.siteInvitation(t, "demo", name)
		for _, e := range want {
			if !s.sent(e) {
				t.Errorf("%s: status.sent lacks %s: %s", name, e, s.describe())
			}
		}
	}
}
