package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// allowedRangesFlag is the hook for the tenancy issue's setting that lets the manager dial providers at
// private addresses, which the sandbox's (the node's 10.200.0.0/24) are. The manager does not have it yet;
// once `manager --help` lists it, every install here passes PROVIDER_CIDR through it.
const allowedRangesFlag = "--allowed-provider-cidrs"

// Short deadlines so no scenario waits minutes: a send may run 15s elsewhere before it is settled, a
// provider call times out after 8s (the slow sandbox answers in 2s), leadership moves within seconds.
const (
	sendDeadline = 15 * time.Second
	graceSeconds = 30 // terminationGracePeriodSeconds: above sendDeadline + 10s, as the chart documents
)

// managerArgs are the test flags for the manager whose binary the cluster env names (MANAGER_BINARY or
// PREVIOUS_BINARY): a flag is passed only to a release that has it.
func (c *cluster) managerArgs(t *testing.T, binary string) []string {
	t.Helper()
	args := []string{"--provider-timeout=8s", "--retry-base=1s",
		"--leader-election-lease-duration=6s", "--leader-election-renew-deadline=4s", "--leader-election-retry-period=1s"}
	help, _ := command(30*time.Second, "", c.env[binary], "--help")
	if strings.Contains(help, strings.TrimPrefix(allowedRangesFlag, "-")) {
		args = append(args, allowedRangesFlag+"="+c.env["PROVIDER_CIDR"])
	}
	return args
}

// values writes a values file for the current chart: the sandbox over HTTPS, trusted through the new
// extraCACertificates value (as a user behind a TLS-intercepting proxy would), short deadlines, and any
// overrides.
func (c *cluster) values(t *testing.T, overrides map[string]any) string {
	t.Helper()
	ca, err := os.ReadFile(c.env["PROVIDER_CA"])
	if err != nil {
		t.Fatal(err)
	}
	v := map[string]any{
		"sendDeadline":                  sendDeadline.String(),
		"terminationGracePeriodSeconds": graceSeconds,
		"providerPollInterval":          "5s",
		"logLevel":                      "debug",
		"extraArgs": append([]string{"--wix-base-url=" + c.env["SANDBOX_WIX"], "--wordpress-base-url=" + c.env["SANDBOX_WP"],
			"--ghost-base-url=" + c.env["SANDBOX_GHOST"]},
			c.managerArgs(t, "MANAGER_BINARY")...),
		"extraCACertificates": map[string]any{"pem": string(ca)},
	}
	for k, o := range overrides {
		v[k] = o
	}
	return writeYAML(t, v)
}

// previousValues are values for chart 0.1.0, which has no way to trust an extra CA: its manager — release
// 0.1.0's own image, built from its commit — reaches the same sandbox over plain HTTP (inside the node's
// namespace), which that release allowed and this one refuses.
func (c *cluster) previousValues(t *testing.T) string {
	t.Helper()
	image := c.env["PREVIOUS_IMAGE"]
	return writeYAML(t, map[string]any{
		"image":                         map[string]any{"tag": image[strings.LastIndex(image, ":")+1:]},
		"sendDeadline":                  sendDeadline.String(),
		"terminationGracePeriodSeconds": graceSeconds,
		"providerPollInterval":          "5s",
		"extraArgs": append([]string{"--wix-base-url=" + c.env["SANDBOX_PLAIN_WIX"], "--wordpress-base-url=" + c.env["SANDBOX_PLAIN_WP"]},
			c.managerArgs(t, "PREVIOUS_BINARY")...),
	})
}

func writeYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}
