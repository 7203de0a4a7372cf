package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

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
