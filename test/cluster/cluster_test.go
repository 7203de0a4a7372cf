// Package cluster runs the operator the way users run it — the real image in containerd on a real kubelet,
// installed with `helm install` and `kubectl apply --server-side -k config/default` — and tests it there
// against the sandbox providers, judged by the sandbox's own ledger of delivered invites.
//
// It needs the node hack/cluster.sh starts (make e2e-cluster) and runs inside that node's network
// namespace, the only place the API server, the Pods and the sandbox can be reached from. CLUSTER_ENV names
// the file describing the node; without it every test skips with a message, so `go test ./...` stays green
// on a machine without the node. With it, nothing is skipped.
package cluster

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// The release the scenarios install: the documented name in the documented namespace, so the Deployment
// is the one the docs name for both installs.
const (
	release        = "invitation-operator"
	releaseNS      = "invitation-system"
	deploymentName = "invitation-operator-controller-manager"
	leaseName      = "invitation-operator.invitations.siteops.dev"
)

// scenario is one user-visible behaviour, run in order on the same node.
type scenario struct {
	name string
	run  func(*testing.T, *cluster)
	// needed: the scenarios after it build on what it leaves, so a failure stops the run.
	needed bool
}

// TestInCluster runs every scenario in order: the kustomize install first and the previous chart's upgrade
// (each cleans up after itself), then one Helm release that the later scenarios change, ending with the
// documented uninstall. Each scenario's duration goes to $TIMINGS for docs/testing.md.
func TestInCluster(t *testing.T) {
	c := newCluster(t)
	scenarios := []scenario{
		{name: "kustomize-install-ready", run: kustomizeInstallReady},
		{name: "previous-chart-upgrade", run: previousChartUpgrade},
		{name: "helm-install-restricted", run: helmInstallRestricted, needed: true},
		{name: "samples-ready-at-ledger", run: samplesReadyAtLedger, needed: true},
		{name: "metrics-https-rbac", run: metricsHTTPSWithRBAC},
		{name: "helm-upgrade-changed-values", run: helmUpgradeChangedValues, needed: true},
		{name: "leader-killed-mid-send", run: leaderKilledMidSend},
		{name: "sigterm-during-send", run: sigtermDuringSend},
		{name: "uninstall-as-documented", run: uninstallAsDocumented},
	}
	for _, s := range scenarios {
		start, ran := time.Now(), false
		ok := t.Run(s.name, func(t *testing.T) { ran = true; s.run(t, c) })
		if ran {
			c.recordTiming("scenario:"+s.name, time.Since(start))
		}
		if !ok && s.needed {
			t.Fatalf("%s failed; the scenarios after it build on it", s.name)
		}
	}
}

// recordTiming appends "<what> <seconds>" to the timings file hack/cluster.sh prints at the end.
func (c *cluster) recordTiming(what string, d time.Duration) {
	path := os.Getenv("TIMINGS")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer func() { _ = f.Close() }()
	_, _ = fmt.Fprintf(f, "%s %d\n", what, int(d.Round(time.Second).Seconds()))
}

// loadEnv reads the KEY=VALUE file hack/cluster.sh writes.
func loadEnv(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CLUSTER_ENV=%s: %w (is the node up? make e2e-cluster)", path, err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			env[k] = v
		}
	}
	for _, k := range []string{"KUBECONFIG", "HELM", "REPO_ROOT", "PROVIDER_CA", "MANAGER_IMAGE", "MANAGER_BINARY",
		"SANDBOX_WIX", "SANDBOX_WP", "SANDBOX_SLOW_WIX", "SANDBOX_SLOW_WP", "SANDBOX_PLAIN_WIX", "SANDBOX_PLAIN_WP",
		"SANDBOX_LEDGER_WIX", "SANDBOX_LEDGER_WP", "SANDBOX_LEDGER_SLOW_WIX", "SANDBOX_LEDGER_SLOW_WP", "PROVIDER_CIDR",
		"SANDBOX_GHOST", "SANDBOX_LEDGER_GHOST", "PREVIOUS_IMAGE", "PREVIOUS_BINARY"} {
		if env[k] == "" {
			return nil, fmt.Errorf("%s: %s is missing", path, k)
		}
	}
	return env, nil
}
