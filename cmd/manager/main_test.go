package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/siteops/invitation-operator/internal/controller"
	"github.com/siteops/invitation-operator/internal/testenv"
)

// TestManagerServesProbesAndStopsOnSIGTERM builds the real binary, runs it against the test API server and
// checks what a kubelet would: the probes answer (and the profiler, when asked for), and SIGTERM ends the
// process cleanly.
func TestManagerServesProbesAndStopsOnSIGTERM(t *testing.T) {
	g := NewWithT(t)
	env, err := testenv.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })

	dir := t.TempDir()
	bin := filepath.Join(dir, "manager")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	g.Expect(build.Run()).To(Succeed())

	user, err := env.AddUser(envtest.User{Name: "manager", Groups: []string{"system:masters"}}, nil)
	g.Expect(err).NotTo(HaveOccurred())
	kubeconfig, err := user.KubeConfig()
	g.Expect(err).NotTo(HaveOccurred())
	kcPath := filepath.Join(dir, "kubeconfig")
	g.Expect(os.WriteFile(kcPath, kubeconfig, 0o600)).To(Succeed())

	probe, pprof := testenv.FreePort(), testenv.FreePort()
	cmd := exec.Command(bin, "--kubeconfig", kcPath, fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probe),
		"--metrics-bind-address=0", fmt.Sprintf("--pprof-bind-address=127.0.0.1:%d", pprof))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	g.Expect(cmd.Start()).To(Succeed())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	for _, url := range []string{fmt.Sprintf("http://127.0.0.1:%d/healthz", probe), fmt.Sprintf("http://127.0.0.1:%d/readyz", probe),
		fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap", pprof)} {
		g.Eventually(func() (int, error) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return 0, err
			}
			_ = resp.Body.Close()
			return resp.StatusCode, nil
		}).WithTimeout(30 * time.Second).Should(Equal(http.StatusOK))
	}

	g.Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
	g.Eventually(done).WithTimeout(30 * time.Second).Should(Receive(BeNil()))
}

// TestFlags: the endpoint rule applies to the base-URL flags, shards get their own Lease, and an install
// that is not sharded keeps the Lease it always had (a rolling upgrade never has two leaders).
func TestFlags(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "ops")
	cases := []struct {
		name    string
		args    []string
		wantErr string
		check   func(*options) string
	}{
		{name: "defaults", check: func(o *options) string {
			if o.leaderElectID != controller.DefaultLeaderElectionID || o.clusterResNS != "ops" || o.perObjectConds {
				return fmt.Sprintf("lease %s, namespace %s, per-object conditions %v", o.leaderElectID, o.clusterResNS, o.perObjectConds)
			}
			return ""
		}},
		{name: "per-object condition gauge", args: []string{"--metrics-per-object-conditions"}, check: func(o *options) string {
			if !o.perObjectConds {
				return "the per-object condition gauge stayed off"
			}
			return ""
		}},
		{name: "a shard has a Lease of its own", args: []string{"--watch-label-selector=shard=a"}, check: func(o *options) string {
			other, _ := parseFlags([]string{"--watch-label-selector=shard=b"})
			if o.leaderElectID == controller.DefaultLeaderElectionID || o.leaderElectID == other.leaderElectID || len(o.leaderElectID) > 63 {
				return "lease " + o.leaderElectID + " vs " + other.leaderElectID
			}
			return ""
		}},
		{name: "an explicit Lease", args: []string{"--watch-label-selector=shard=a", "--leader-election-id=mine"}, check: func(o *options) string {
			if o.leaderElectID != "mine" {
				return o.leaderElectID
			}
			return ""
		}},
		{name: "allowed ranges", args: []string{"--allowed-provider-cidrs=10.0.0.0/8,fd00::/8"}, check: func(o *options) string {
			if len(o.allowedCIDRs) != 2 {
				return fmt.Sprint(o.allowedCIDRs)
			}
			return ""
		}},
		{name: "a bad range", args: []string{"--allowed-provider-cidrs=10.0.0.1"}, wantErr: "is not a CIDR range"},
		{name: "plain http to a private address", args: []string{"--wix-base-url=HTTP://10.0.0.5:8080"}, wantErr: "--wix-base-url"},
		{name: "loopback http", args: []string{"--wordpress-base-url=http://127.0.0.1:9102"}, check: func(*options) string { return "" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want an error naming %q, got %v", tc.wantErr, err)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if msg := tc.check(o); msg != "" {
					t.Fatal(msg)
				}
			}
		})
	}
}
