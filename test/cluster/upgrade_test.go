package cluster

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// previousChart is chart 0.1.0 as committed before CRDs became templates and the Deployment was renamed
// (`git archive 2123cc2 charts/invitation-operator | tar -x` then `helm package`), packaged as users got it.
const previousChart = "test/cluster/testdata/invitation-operator-0.1.0.tgz"

// helmUpgradeChangedValues: `helm upgrade` with changed values (two replicas, another resync period and
// concurrency) rolls the manager, adds the PodDisruptionBudget, upgrades a CRD that an earlier release
// left older, keeps every object Ready throughout and sends nothing again.
func helmUpgradeChangedValues(t *testing.T, c *cluster) {
	watched := []string{"ada@example.com", "grace@example.com", "linus@example.com", "margaret@example.com"}
	c.olderCRD(t)
	beforeWP, beforeWix := c.ledger(t, "SANDBOX_LEDGER_WP"), c.ledger(t, "SANDBOX_LEDGER_WIX")
	sampler := c.sampleReadiness(t)
	c.helm(t, "upgrade", release, c.path("charts/invitation-operator"), "-n", releaseNS, "-f", c.values(t, map[string]any{
		"replicas": 2, "resyncPeriod": "45s", "concurrency": 2,
	}), "--wait", "--timeout", "3m")
	c.deploymentAvailable(t, deploymentName, 2, 2*time.Minute)
	// Give the new leader a full pass over every object before judging.
	eventually(t, time.Minute, "a leader among the new Pods", func() (bool, string) {
		l := c.leader(t)
		for _, p := range c.managerPods(t) {
			if p == l {
				return true, ""
			}
		}
		return false, "leader " + l
	})
	time.Sleep(10 * time.Second)
	sampler.finish(t)

	var pdb struct {
		Spec struct {
			MinAvailable int `json:"minAvailable"`
		} `json:"spec"`
	}
	if !c.getJSON(t, &pdb, "pdb", "-n", releaseNS, release) || pdb.Spec.MinAvailable != 1 {
		t.Errorf("two replicas need a PodDisruptionBudget with minAvailable 1: %+v", pdb)
	}
	if cols := c.printerColumns(t); !strings.Contains(cols, olderCRDColumn) {
		t.Errorf("helm upgrade did not upgrade the SiteInvitation CRD: printer columns %s lack %s", cols, olderCRDColumn)
	}
	args := c.kubectl(t, "get", "deployment", "-n", releaseNS, deploymentName, "-o", "jsonpath={.spec.template.spec.containers[0].args}")
	for _, want := range []string{"--resync-period=45s", "--concurrency=2"} {
		if !strings.Contains(args, want) {
			t.Errorf("the upgraded Deployment's args lack %s: %s", want, args)
		}
	}
	for name, pair := range map[string][2]snapshot{"WordPress.com": {beforeWP, c.ledger(t, "SANDBOX_LEDGER_WP")}, "Wix": {beforeWix, c.ledger(t, "SANDBOX_LEDGER_WIX")}} {
		if b, a := len(pair[0].Ledger), len(pair[1].Ledger); a != b {
			t.Errorf("%s: the upgrade sent %d invitation emails again", name, a-b)
		}
	}
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_WP"), watched[:2])
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_WIX"), watched[2:])
}

// previousChartUpgrade: a user of chart 0.1.0 with SiteInvitations Ready upgrades to this chart the way
// docs/upgrading.md says (`helm upgrade --take-ownership`, once): every object stays Ready, nothing is sent
// again, the CRDs become the release's with the keep policy, the Deployment gets its new name and the old
// one is gone. Then `helm uninstall` keeps the CRDs and the objects and revokes nothing.
func previousChartUpgrade(t *testing.T, c *cluster) {
	ns := "upgrade"
	c.namespace(t, releaseNS, restricted)
	c.namespace(t, ns, nil)
	c.secret(t, releaseNS, "wix-api-key", "apiKey", "sandbox-wix-api-key")
	c.secret(t, ns, "wpcom-token", "token", "sandbox-wpcom-token")
	c.helm(t, "install", release, c.path(previousChart), "-n", releaseNS, "-f", c.previousValues(t), "--wait", "--timeout", "3m")
	c.deploymentAvailable(t, release, 1, time.Minute)

	wp, wix := emails("upgrade-wp", 3), emails("upgrade-wix", 2)
	c.apply(t, fmt.Sprintf(`apiVersion: invitations.siteops.dev/v1alpha1
kind: InvitationProvider
metadata: {name: wpcom, namespace: %[1]s}
spec:
  wordpress: {}
  secretRef: {name: wpcom-token, key: token}
---
apiVersion: invitations.siteops.dev/v1alpha1
kind: ClusterInvitationProvider
metadata: {name: wix-upgrade}
spec:
  wix: {accountID: 0b5c4f8e-2a61-4c3e-9d47-6f0a1b2c3d4e}
  secretRef: {name: wix-api-key, namespace: %[4]s, key: apiKey}
  namespaceSelector: {matchLabels: {e2e: %[1]s}}
---
apiVersion: invitations.siteops.dev/v1alpha1
kind: SiteInvitation
metadata: {name: authors, namespace: %[1]s}
spec:
  provider: WordPress
  providerRef: {name: wpcom}
  site: example.wordpress.com
  roles: [author]
  emails: %[2]s
  removalPolicy: Keep
---
apiVersion: invitations.siteops.dev/v1alpha1
kind: SiteInvitation
metadata: {name: editors, namespace: %[1]s}
spec:
  provider: Wix
  providerRef: {kind: ClusterInvitationProvider, name: wix-upgrade}
  site: 1f2d3c4b-5a69-4788-99aa-bbccddeeff00
  roles: ["6600344420111308827"]
  emails: %[3]s
  removalPolicy: Keep
`, ns, yamlList(wp), yamlList(wix), releaseNS))
	c.waitReady(t, "", "clusterinvitationprovider/wix-upgrade")
	c.waitReady(t, ns, "invitationprovider/wpcom", "siteinvitation/authors", "siteinvitation/editors")
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_WP"), wp)
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_WIX"), wix)

	sampler := c.sampleReadiness(t)
	c.helm(t, "upgrade", release, c.path("charts/invitation-operator"), "-n", releaseNS, "--take-ownership",
		"-f", c.values(t, nil), "--wait", "--timeout", "3m")
	c.deploymentAvailable(t, deploymentName, 1, 2*time.Minute)
	c.gone(t, 2*time.Minute, "the 0.1.0 Deployment", "deployment/"+release, "-n", releaseNS)
	time.Sleep(10 * time.Second)
	sampler.finish(t)
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_WP"), wp)
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_WIX"), wix)
	for _, crd := range []string{"siteinvitations", "invitationproviders", "clusterinvitationproviders"} {
		ann := c.kubectl(t, "get", "crd", crd+".invitations.siteops.dev", "-o", "jsonpath={.metadata.annotations}")
		for _, want := range []string{`"meta.helm.sh/release-name":"` + release + `"`, `"helm.sh/resource-policy":"keep"`} {
			if !strings.Contains(ann, want) {
				t.Errorf("CRD %s after the upgrade lacks %s: %s", crd, want, ann)
			}
		}
	}

	// Remove the operator, keep the invitations (docs/upgrading.md).
	revokesBefore := c.ledger(t, "SANDBOX_LEDGER_WP").Calls["revoke"] + c.ledger(t, "SANDBOX_LEDGER_WIX").Calls["revoke"]
	c.helm(t, "uninstall", release, "-n", releaseNS, "--wait", "--timeout", "2m")
	for _, o := range []string{"crd/siteinvitations.invitations.siteops.dev", "siteinvitation/authors", "siteinvitation/editors"} {
		if _, err := c.tryKubectl("get", o, "-n", ns); err != nil {
			t.Errorf("helm uninstall removed %s; the CRDs and objects must stay", o)
		}
	}
	if after := c.ledger(t, "SANDBOX_LEDGER_WP").Calls["revoke"] + c.ledger(t, "SANDBOX_LEDGER_WIX").Calls["revoke"]; after != revokesBefore {
		t.Errorf("helm uninstall revoked %d invites", after-revokesBefore)
	}

	// Leave a clean cluster for the fresh install: removalPolicy Keep carries no finalizer, so nothing waits.
	c.kubectl(t, "delete", "namespace", ns, "--wait=false")
	c.kubectl(t, "delete", "clusterinvitationprovider", "wix-upgrade", "--wait=false")
	c.gone(t, time.Minute, "the upgrade namespace", "namespace/"+ns)
	c.kubectl(t, "delete", "crd", "siteinvitations.invitations.siteops.dev", "invitationproviders.invitations.siteops.dev",
		"clusterinvitationproviders.invitations.siteops.dev", "--wait=false")
	c.gone(t, time.Minute, "the CRDs", "crd/siteinvitations.invitations.siteops.dev", "crd/invitationproviders.invitations.siteops.dev",
		"crd/clusterinvitationproviders.invitations.siteops.dev")
	c.kubectl(t, "delete", "namespace", releaseNS, "--wait=false")
	c.gone(t, time.Minute, "the release namespace", "namespace/"+releaseNS)
}

// olderCRDColumn is the printer column the "older" CRD lacks.
const olderCRDColumn = "Failed"

// olderCRD makes the live SiteInvitation CRD what an earlier chart release would have left — one printer
// column short — applied as Helm's own field manager, as that release would have: the next `helm upgrade`
// must bring it up to date, which Helm never does for a chart's crds/ directory.
func (c *cluster) olderCRD(t *testing.T) {
	t.Helper()
	var crd map[string]any
	c.getJSON(t, &crd, "crd", "siteinvitations.invitations.siteops.dev")
	meta := crd["metadata"].(map[string]any)
	crd["metadata"] = map[string]any{"name": meta["name"], "labels": meta["labels"], "annotations": meta["annotations"]}
	delete(crd, "status")
	for _, v := range crd["spec"].(map[string]any)["versions"].([]any) {
		version := v.(map[string]any)
		var kept []any
		for _, col := range version["additionalPrinterColumns"].([]any) {
			if col.(map[string]any)["name"] != olderCRDColumn {
				kept = append(kept, col)
			}
		}
		version["additionalPrinterColumns"] = kept
	}
	b, err := json.Marshal(crd)
	if err != nil {
		t.Fatal(err)
	}
	out, err := command(time.Minute, string(b), "kubectl", "--kubeconfig", c.env["KUBECONFIG"], "apply", "--server-side",
		"--field-manager=helm", "--force-conflicts", "-f", "-")
	if err != nil {
		t.Fatalf("making the CRD older: %v\n%s", err, out)
	}
	if cols := c.printerColumns(t); strings.Contains(cols, olderCRDColumn) {
		t.Fatalf("the CRD still has the %s column: %s", olderCRDColumn, cols)
	}
}

func (c *cluster) printerColumns(t *testing.T) string {
	t.Helper()
	return c.kubectl(t, "get", "crd", "siteinvitations.invitations.siteops.dev", "-o", "jsonpath={.spec.versions[*].additionalPrinterColumns[*].name}")
}
