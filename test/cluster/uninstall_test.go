package cluster

import (
	"strings"
	"testing"
	"time"
)

// uninstallAsDocumented removes everything the way docs/upgrading.md says: the CRDs while the operator
// runs, then `helm uninstall`, then the namespaces. Nothing may be left waiting on a finalizer, no namespace
// may stay Terminating, nothing of the release may remain, and not one invite may be revoked because the
// operator or its CRDs go away. The last needs a controller change (telling "my CRD is being deleted" from
// "this object was deleted"); until it lands this scenario reports the revokes as its failure.
func uninstallAsDocumented(t *testing.T, c *cluster) {
	ledgers := []string{"SANDBOX_LEDGER_WP", "SANDBOX_LEDGER_WIX", "SANDBOX_LEDGER_SLOW_WP", "SANDBOX_LEDGER_SLOW_WIX"}
	revokeCalls := func() (n int, revoked []string) {
		for _, l := range ledgers {
			s := c.ledger(t, l)
			n += s.Calls["revoke"]
			revoked = append(revoked, s.revoked()...)
		}
		return n, revoked
	}
	callsBefore, revokedBefore := revokeCalls()

	crds := []string{"siteinvitations.invitations.siteops.dev", "invitationproviders.invitations.siteops.dev",
		"clusterinvitationproviders.invitations.siteops.dev"}
	c.kubectl(t, append([]string{"delete", "crd", "--wait=false"}, crds...)...)
	var crdArgs []string
	for _, crd := range crds {
		crdArgs = append(crdArgs, "crd/"+crd)
	}
	c.gone(t, 90*time.Second, "the CRDs (and with them every object; a stuck finalizer keeps them)", crdArgs...)

	callsAfter, revokedAfter := revokeCalls()
	if callsAfter != callsBefore || len(revokedAfter) != len(revokedBefore) {
		t.Errorf("deleting the CRDs revoked invites (%d revoke calls; revoked now: %s): the operator must not revoke because its CRDs "+
			"go away — pending the controller change that tells a CRD deletion from an object deletion",
			callsAfter-callsBefore, strings.Join(revokedAfter, ", "))
	}

	c.helm(t, "uninstall", release, "-n", releaseNS, "--wait", "--timeout", "2m")
	namespaces := []string{releaseNS, "demo", "leader", "sigterm"}
	c.kubectl(t, append([]string{"delete", "namespace", "--ignore-not-found", "--wait=false"}, namespaces...)...)
	var nsArgs []string
	for _, ns := range namespaces {
		nsArgs = append(nsArgs, "namespace/"+ns)
	}
	c.gone(t, 90*time.Second, "the namespaces (none may stay Terminating)", nsArgs...)
	for _, kind := range []string{"clusterroles", "clusterrolebindings"} {
		out := c.kubectl(t, "get", kind, "-l", "app.kubernetes.io/instance="+release, "-o", "name")
		if strings.TrimSpace(out) != "" {
			t.Errorf("helm uninstall left %s", out)
		}
	}
}
