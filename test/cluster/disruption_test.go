package cluster

import (
	"fmt"
	"testing"
	"time"
)

// slowProvider creates a ClusterInvitationProvider at the slow sandbox (every answer takes
// SANDBOX_SLOW_LATENCY) with batches of two, so a SiteInvitation's sends take long enough to act during
// one, and a namespace it admits.
func (c *cluster) slowProvider(t *testing.T, name, ns, spec, baseURL, secret, key string) {
	t.Helper()
	c.namespace(t, ns, nil)
	c.apply(t, fmt.Sprintf(`apiVersion: invitations.siteops.dev/v1alpha1
kind: ClusterInvitationProvider
metadata: {name: %s}
spec:
  %s
  baseURL: %s
  secretRef: {name: %s, namespace: %s, key: %s}
  batchSize: 2
  namespaceSelector: {matchLabels: {e2e: %s}}
`, name, spec, baseURL, secret, releaseNS, key, ns))
	c.waitReady(t, "", "clusterinvitationprovider/"+name)
}

// midSend waits until the SiteInvitation has a batch in flight after at least one batch recorded, and
// returns it: the moment to disrupt the manager.
func (c *cluster) midSend(t *testing.T, ns, name string) *siteInvitation {
	t.Helper()
	var s *siteInvitation
	eventually(t, 2*time.Minute, name+" to be in the middle of its sends", func() (bool, string) {
		s = c.siteInvitation(t, ns, name)
		if s == nil {
			return false, "not found"
		}
		return s.Status.InFlight != nil && len(s.Status.Sent) >= 2, s.describe()
	})
	return s
}

// leaderKilledMidSend: with two replicas, the leader Pod is deleted with a one-second grace period while
// a WordPress.com batch is in flight, so it dies mid-send; the standby takes the Lease, settles the
// intent record by listing the site's invites, and finishes the rest: every person invited exactly once.
func leaderKilledMidSend(t *testing.T, c *cluster) {
	ns, name := "leader", "authors"
	c.secret(t, releaseNS, "wpcom-token", "token", "sandbox-wpcom-token")
	c.slowProvider(t, "wp-slow", ns, "wordpress: {}", c.env["SANDBOX_SLOW_WP"], "wpcom-token", "token")
	people := emails("leader", 10)
	c.apply(t, fmt.Sprintf(`apiVersion: invitations.siteops.dev/v1alpha1
kind: SiteInvitation
metadata: {name: %s, namespace: %s}
spec:
  provider: WordPress
  providerRef: {kind: ClusterInvitationProvider, name: wp-slow}
  site: example.wordpress.com
  roles: [author]
  emails: %s
`, name, ns, yamlList(people)))

	c.midSend(t, ns, name)
	old := c.leader(t)
	if old == "" {
		t.Fatal("no leader")
	}
	c.kubectl(t, "delete", "pod", "-n", releaseNS, old, "--grace-period=1", "--wait=false")
	eventually(t, time.Minute, "the standby to take the Lease", func() (bool, string) {
		l := c.leader(t)
		return l != "" && l != old, "leader " + l
	})
	eventually(t, 3*time.Minute, name+" to finish its sends", func() (bool, string) {
		s := c.siteInvitation(t, ns, name)
		return s.ready() && len(s.Status.Sent) == len(people), s.describe()
	})
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_SLOW_WP"), people)
	if s := c.siteInvitation(t, ns, name); len(s.Status.Failed) > 0 {
		t.Errorf("failed after the takeover: %+v", s.Status.Failed)
	}
	c.deploymentAvailable(t, deploymentName, 2, 2*time.Minute)
}

// sigtermDuringSend: `kubectl delete pod` on the leader while a Wix batch is in flight — the kubelet's
// SIGTERM and grace period — and the manager records the send's outcome before it exits. Wix cannot list
// pending invites: had the outcome not been recorded, the next leader would find the intent record and mark
// those people OutcomeUnknown, so "all sent, none OutcomeUnknown, one email each" proves it was.
func sigtermDuringSend(t *testing.T, c *cluster) {
	ns, name := "sigterm", "editors"
	c.slowProvider(t, "wix-slow", ns, "wix: {accountID: 0b5c4f8e-2a61-4c3e-9d47-6f0a1b2c3d4e}", c.env["SANDBOX_SLOW_WIX"], "wix-api-key", "apiKey")
	people := emails("sigterm", 8)
	c.apply(t, fmt.Sprintf(`apiVersion: invitations.siteops.dev/v1alpha1
kind: SiteInvitation
metadata: {name: %s, namespace: %s}
spec:
  provider: Wix
  providerRef: {kind: ClusterInvitationProvider, name: wix-slow}
  site: 1f2d3c4b-5a69-4788-99aa-bbccddeeff00
  roles: ["6600344420111308827"]
  emails: %s
  wix: {invitePurpose: Help us run the shop, defaultEmailLanguage: en}
`, name, ns, yamlList(people)))

	inFlight := c.midSend(t, ns, name).Status.InFlight.Emails
	old := c.leader(t)
	deleted := time.Now()
	c.kubectl(t, "delete", "pod", "-n", releaseNS, old, "--wait=false")
	eventually(t, time.Duration(graceSeconds+30)*time.Second, "the old leader to exit", func() (bool, string) {
		return c.podGone(t, old), old + " still there"
	})
	// The kubelet SIGKILLs at the end of the grace period; well before it, the manager exited on its own.
	if took := time.Since(deleted); took >= time.Duration(graceSeconds)*time.Second {
		t.Errorf("the manager took %s to exit after SIGTERM, the whole grace period: it was killed, not stopped", took.Round(time.Second))
	}
	eventually(t, 3*time.Minute, name+" to finish its sends", func() (bool, string) {
		s := c.siteInvitation(t, ns, name)
		return s.ready() && len(s.Status.Sent) == len(people), s.describe()
	})
	s := c.siteInvitation(t, ns, name)
	for _, e := range inFlight {
		if !s.sent(e) {
			t.Errorf("%s was in flight at SIGTERM and is not recorded as sent", e)
		}
	}
	for _, f := range s.Status.Failed {
		t.Errorf("%s failed (%s): the outcome of the send under way at SIGTERM was not recorded: %s", f.Email, f.Reason, f.Message)
	}
	exactlyOnce(t, c.ledger(t, "SANDBOX_LEDGER_SLOW_WIX"), people)
	c.deploymentAvailable(t, deploymentName, 2, 2*time.Minute)
}
