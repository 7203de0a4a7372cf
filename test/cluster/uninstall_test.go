package cluster

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// uninstallAsDocumented removes everything the way docs/upgrading.md says: the SiteInvitation CRD while
// the operator runs, then the provider CRDs, then `helm uninstall`, then the namespaces. Nothing may be left
// waiting on a finalizer, no namespace may stay Terminating, nothing of the release may remain, and not one
// invite may be revoked because the operator or its CRDs go away. The last needs a controller change
// (telling "my CRD is being deleted" from "this object was deleted"); until it lands this scenario reports
// the revokes as its failure.
func uninstallAsDocumented(t *testing.T, c *cluster) {
	// The case that matters: an object that would revoke on deletion (removalPolicy Revoke, pending
	// invites, so it carries the finalizer) whose provider is still there when the object goes.
	if s := c.siteInvitation(t, "demo", "blog-authors"); s == nil || !slices.Contains(s.Metadata.Finalizers, "invitations.siteops.dev/revoke") {
		t.Fatalf("the scenario needs blog-authors (removalPolicy Revoke, pending invites) to carry the revoke finalizer: %+v", s)
	}
	ledgers := []string{"SANDBOX_LEDGER_WP", "SANDBOX_LEDGER_WIX", "SANDBOX_LEDGER_GHOST", "SANDBOX_LEDGER_SLOW_WP", "SANDBOX_LEDGER_SLOW_WIX"}
	revokeCalls := func() (n int, revoked []string) {
		for _, l := range ledgers {
			s := c.ledger(t, l)
			n += s.Calls["revoke"]
			revoked = append(revoked, s.revoked()...)
		}
		return n, revoked
	}
	callsBefore, revokedBefore := revokeCalls()

	// SiteInvitations first (they name providers), then the providers.
	for _, crds := range [][]string{{"siteinvitations"}, {"invitationproviders", "clusterinvitationproviders"}} {
		args := []string{"delete", "crd", "--wait=false"}
		var names []string
		for _, crd := range crds {
			args = append(args, crd+".invitations.siteops.dev")
			names = append(names, "crd/"+crd+".invitations.siteops.dev")
		}
		c.kubectl(t, args...)
		c.gone(t, 90*time.Second, "the CRDs "+strings.Join(crds, ", ")+" (and every object of theirs; a stuck finalizer keeps them)", names...)
	}

	callsAfter, revokedAfter := revokeCalls()
	if callsAfter != callsBefore || len(revokedAfter) != len(revokedBefore) {
		t.Errorf("deleting the CRDs revoked invites (%d revoke calls; revoked now: %s): the operator must not revoke because its CRD "+
			"goes away. Pending a controller change: on deletion, when the SiteInvitation CRD itself has a deletionTimestamp, drop the "+
			"finalizer without revoking (needs get on apiextensions.k8s.io customresourcedefinitions)",
			callsAfter-callsBefore, strings.Join(revokedAfter, ", "))
	}

	c.helm(t, "uninstall", release, "-n", releaseNS, "--wait", "--timeout", "2m")
	namespaces := []string{releaseNS, "demo", "leader", "sigterm"}
	c.kubectl(t, append([]string{"delete", "namespace", "--ignore-not-found", "--wait=false"}, namespaces...)...)
	nsArgs := make([]string, 0, len(namespaces))
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
