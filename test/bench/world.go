package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/sandbox"
	"github.com/siteops/invitation-operator/internal/testenv"
	"github.com/siteops/invitation-operator/test/harness"
)

// start brings up a fresh control plane and sandboxes (sites for n objects), with o's limits, and the
// namespace, Secrets and provider objects; the context bounds the run, and stop ends it.
func start(c config, n int, o harness.Options) (*harness.Harness, context.Context, func(), error) {
	o.Sites, o.Latency = max(n/10, 1), c.latency
	o.ManagerEnv = c.managerEnv()
	h, err := harness.Start(o)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := h.Setup(context.Background(), c.providers); err != nil {
		h.Stop()
		return nil, nil, nil, err
	}
	// The run's bound: everything it does stops at c.timeout.
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	return h, ctx, func() { cancel(); h.Stop() }, nil
}

// managerEnv is the collector settings the shipped manifests give the manager: GOMEMLIMIT from the
// container's memory limit, GOGC left alone.
func (c config) managerEnv() []string {
	var env []string
	if c.gogc != "" {
		env = append(env, "GOGC="+c.gogc)
	}
	if c.gomemlimit != "" {
		env = append(env, "GOMEMLIMIT="+c.gomemlimit)
	}
	if c.memProfileRate > 0 {
		env = append(env, fmt.Sprintf("GODEBUG=memprofilerate=%d", c.memProfileRate))
	}
	return env
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func managerBinary(h *harness.Harness) (string, error) {
	buildOnce.Do(func() {
		var p string
		if p, buildErr = h.BuildManager(); buildErr == nil {
			binPath = filepath.Join(os.TempDir(), "invitation-bench-manager")
			buildErr = os.Rename(p, binPath)
		}
	})
	return binPath, buildErr
}

// The Kubernetes API client limits of both the manager and the floor client, so neither is throttled
// differently from the other.
const apiQPS, apiBurst = 500, 1000

func managerArgs(c config) []string {
	return []string{"--leader-elect=false", fmt.Sprintf("--concurrency=%d", c.workers), "--resync-period=" + c.resync.String(),
		"--send-deadline=30s", "--provider-timeout=10s", fmt.Sprintf("--kube-api-qps=%d", apiQPS), fmt.Sprintf("--kube-api-burst=%d", apiBurst),
		"--zap-log-level=" + c.managerLogLevel}
}

// runningManager is a manager started for a run, with its profiler's address.
type runningManager struct {
	*harness.Manager
	pprof string
}

// startManager starts the manager binary with the run's flags and the profiler on a loopback port, and
// waits until it serves metrics.
func startManager(ctx context.Context, c config, h *harness.Harness, logName string, extra ...string) (*runningManager, error) {
	bin, err := managerBinary(h)
	if err != nil {
		return nil, err
	}
	pprof := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort())
	args := append(append(managerArgs(c), "--pprof-bind-address="+pprof), extra...)
	m, err := h.StartManager(bin, filepath.Join(filepath.Dir(c.out), logName), args...)
	if err != nil {
		return nil, err
	}
	if err := waitMetrics(ctx, m); err != nil {
		m.Stop()
		return nil, err
	}
	return &runningManager{Manager: m, pprof: pprof}, nil
}

func waitMetrics(ctx context.Context, m *harness.Manager) error {
	for {
		if _, err := m.Metric("invitation_operator_status_writes_total"); err == nil {
			return nil
		}
		if !m.Alive() {
			return fmt.Errorf("the manager exited; see its log")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// fetch saves one HTTP endpoint's answer (a pprof profile) to path.
func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: HTTP %d", url, resp.StatusCode)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func totalCalls(s sandbox.Snapshot) int {
	t := 0
	for _, v := range s.Calls {
		t += v
	}
	return t
}

// objects returns objects first..first+n-1 of a run.
func objects(h *harness.Harness, c config, first, n int, labels func(i int) map[string]string) []*invv1.SiteInvitation {
	out := make([]*invv1.SiteInvitation, 0, n)
	for i := first; i < first+n; i++ {
		var l map[string]string
		if labels != nil {
			l = labels(i)
		}
		out = append(out, h.Object(i, c.emails, c.providers, l))
	}
	return out
}

// The provider types' names in tables and results, and the results' key for the object count.
const providerWix, providerWordPress, keyObjects = "Wix", "WordPress.com", "objects"

// writeResults writes v as the run's JSON results and prints it as the last line.
func writeResults(c config, v map[string]any) error {
	v["date"] = time.Now().UTC().Format(time.RFC3339)
	v["scenario"] = c.scenario
	v["machine"] = machine()
	v["gogc"], v["gomemlimit"] = c.gogc, c.gomemlimit
	// What every scenario ran with.
	v["emails"], v["latency"], v["workers"] = c.emails, c.latency.String(), c.workers
	v["providersPerType"], v["resync"], v["create"] = c.providers, c.resync.String(), c.create
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(c.out, b, 0o644); err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}

// refill reads objs back as stored (resource versions, generation), with one list.
func refill(ctx context.Context, h *harness.Harness, objs []*invv1.SiteInvitation) error {
	var list invv1.SiteInvitationList
	if err := h.Client.List(ctx, &list, client.InNamespace(harness.Namespace)); err != nil {
		return err
	}
	byName := make(map[string]*invv1.SiteInvitation, len(list.Items))
	for i := range list.Items {
		byName[list.Items[i].Name] = &list.Items[i]
	}
	for _, o := range objs {
		s, ok := byName[o.Name]
		if !ok {
			return fmt.Errorf("%s was not stored", o.Name)
		}
		*o = *s
	}
	return nil
}
