// Package harness runs the operator for scale and chaos runs: a local control plane, sandbox providers on
// loopback, provider objects, the manager binary as a subprocess (so its memory and CPU are its own), and
// the sandbox ledger to judge the outcome. Everything is bounded in time and stops by itself.
package harness

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/sandbox"
	"github.com/siteops/invitation-operator/internal/testenv"
)

// Namespace is where the harness puts providers and SiteInvitations.
const Namespace = "load"

// secretKey is the key of the credential in each provider's Secret.
const secretKey = "key"

// Options shape one run.
type Options struct {
	// Sites per provider type in the sandbox (objects are spread over them).
	Sites int
	// Latency of every sandbox answer.
	Latency time.Duration
	// Faults, when set, are injected at random into both sandboxes.
	Faults *sandbox.RandomFaults
	// WixLimit and WordPressLimit are the sandboxes' own quotas per credential (zero: none): what the
	// providers enforce whatever the operator is configured with.
	WixLimit, WordPressLimit sandbox.RateLimit
	// WixRate and WordPressRate are the InvitationProviders' spec.rateLimit; nil means 6000/min with a
	// burst of 100, so the run measures the operator and not a token bucket.
	WixRate, WordPressRate *invv1.RateLimit
	// ManagerEnv is added to the environment of every manager started (GOGC, GOMEMLIMIT).
	ManagerEnv []string
}

// Harness is one running world.
type Harness struct {
	Env *testenv.Env
	// Client reaches the API server as an administrator, and can watch.
	Client     client.WithWatch
	Kubeconfig string
	Dir        string
	Wix        *sandbox.Wix
	WP         *sandbox.WordPress
	WixURL     string
	WPURL      string
	WixSites   []string
	WPSites    []string
	opts       Options
	servers    []*httptest.Server
}

// Start brings up the control plane and the sandboxes.
func Start(o Options) (*Harness, error) {
	logf.SetLogger(logr.Discard()) // the control plane's own chatter is not the run's output
	env, err := testenv.Start()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "invitation-harness-")
	if err != nil {
		return nil, err
	}
	h := &Harness{Env: env, Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"), opts: o}
	if err := env.WriteKubeconfig(h.Kubeconfig, ""); err != nil {
		return nil, err
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = 500, 1000 // the same limits the bench gives the manager
	if h.Client, err = client.NewWithWatch(cfg, client.Options{Scheme: env.Scheme}); err != nil {
		return nil, err
	}
	seed := sandbox.DefaultConfig()
	var wixSites, wpSites []sandbox.Site
	for i := range max(o.Sites, 1) {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012d", i+1, i+1)
		wixSites = append(wixSites, sandbox.Site{ID: id, Roles: []string{"6600344420111308827"}})
		wpSites = append(wpSites, sandbox.Site{ID: strconv.Itoa(1000 + i), Domain: fmt.Sprintf("site%d.example.com", i),
			Roles: []string{"author", "editor"}})
		h.WixSites = append(h.WixSites, id)
		h.WPSites = append(h.WPSites, fmt.Sprintf("site%d.example.com", i))
	}
	h.Wix = sandbox.NewWix(sandbox.WixOptions{Sites: wixSites, APIKeys: seed.Wix.APIKeys, Latency: o.Latency, RateLimit: o.WixLimit})
	h.WP = sandbox.NewWordPress(sandbox.WordPressOptions{Sites: wpSites, Tokens: seed.WordPress.Tokens, Latency: o.Latency, RateLimit: o.WordPressLimit})
	if o.Faults != nil {
		wp := *o.Faults
		wp.Seed++ // the two sandboxes draw different faults
		h.Wix.Faults().SetRandom(o.Faults)
		h.WP.Faults().SetRandom(&wp)
	}
	for _, s := range []http.Handler{h.Wix, h.WP} {
		srv := httptest.NewServer(s)
		h.servers = append(h.servers, srv)
	}
	h.WixURL, h.WPURL = h.servers[0].URL, h.servers[1].URL
	return h, nil
}

// Stop ends everything Start began.
func (h *Harness) Stop() {
	for _, s := range h.servers {
		s.Close()
	}
	_ = h.Env.Stop()
	_ = os.RemoveAll(h.Dir)
}

// Setup creates the namespace, the Secrets and providers providers per type, with the rate limits of
// Options (by default high: the run measures the operator, not a token bucket).
func (h *Harness) Setup(ctx context.Context, providersPerType int) error {
	if err := h.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}); err != nil {
		return err
	}
	seed := sandbox.DefaultConfig()
	secrets := map[string]string{"wix": seed.Wix.APIKeys[0].Secret, "wp": seed.WordPress.Tokens[0].Secret}
	for name, value := range secrets {
		if err := h.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace},
			StringData: map[string]string{secretKey: value}}); err != nil {
			return err
		}
	}
	wixLimit, wpLimit := h.opts.WixRate, h.opts.WordPressRate
	if wixLimit == nil {
		wixLimit = &invv1.RateLimit{RequestsPerMinute: 6000, Burst: 100}
	}
	if wpLimit == nil {
		wpLimit = &invv1.RateLimit{RequestsPerMinute: 6000, Burst: 100}
	}
	for i := range providersPerType {
		for _, p := range []invv1.InvitationProvider{
			{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("wix-%d", i), Namespace: Namespace}, Spec: invv1.InvitationProviderSpec{
				ProviderSpec: invv1.ProviderSpec{Wix: &invv1.WixProviderSpec{AccountID: seed.Wix.APIKeys[0].AccountID},
					SecretRef: invv1.SecretKeyReference{Name: "wix", Key: secretKey}, RateLimit: wixLimit}}},
			{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("wp-%d", i), Namespace: Namespace}, Spec: invv1.InvitationProviderSpec{
				ProviderSpec: invv1.ProviderSpec{WordPress: &invv1.WordPressProviderSpec{},
					SecretRef: invv1.SecretKeyReference{Name: "wp", Key: secretKey}, RateLimit: wpLimit}}},
		} {
			if err := h.Client.Create(ctx, &p); err != nil {
				return err
			}
		}
	}
	return nil
}

// Object returns SiteInvitation i of a run: even ones Wix, odd ones WordPress.com, spread over the sites
// and providers, each with its own emails.
func (h *Harness) Object(i, emails, providersPerType int, labels map[string]string) *invv1.SiteInvitation {
	obj := &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("obj-%05d", i), Namespace: Namespace, Labels: labels}}
	for j := range emails {
		obj.Spec.Emails = append(obj.Spec.Emails, fmt.Sprintf("u%05d-%02d@load.example.com", i, j))
	}
	prov := (i / 2) % providersPerType
	if i%2 == 0 {
		obj.Spec.Provider, obj.Spec.Site, obj.Spec.Roles = invv1.ProviderWix, h.WixSites[(i/2)%len(h.WixSites)], []string{"6600344420111308827"}
		obj.Spec.ProviderRef = invv1.ProviderReference{Kind: invv1.InvitationProviderKind, Name: fmt.Sprintf("wix-%d", prov)}
	} else {
		obj.Spec.Provider, obj.Spec.Site, obj.Spec.Roles = invv1.ProviderWordPress, h.WPSites[(i/2)%len(h.WPSites)], []string{"author"}
		obj.Spec.ProviderRef = invv1.ProviderReference{Kind: invv1.InvitationProviderKind, Name: fmt.Sprintf("wp-%d", prov)}
	}
	obj.Spec.RemovalPolicy = invv1.RemovalPolicyKeep
	return obj
}

// Parallel runs f(i) for i in [0,n) on workers goroutines and returns the first error.
func Parallel(n, workers int, f func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// Settled reports whether an object is done for this run's purpose: Ready, or Stalled for the current
// generation (a precise condition a human would act on).
func Settled(o *invv1.SiteInvitation) bool {
	if o.Status.ObservedGeneration != o.Generation {
		return false
	}
	r := meta.FindStatusCondition(o.Status.Conditions, "Ready")
	s := meta.FindStatusCondition(o.Status.Conditions, "Stalled")
	return (r != nil && r.Status == metav1.ConditionTrue) || (s != nil && s.Status == metav1.ConditionTrue)
}

// Count returns how many objects satisfy pred now (0 on a list error).
func (h *Harness) Count(ctx context.Context, pred func(*invv1.SiteInvitation) bool) int {
	var list invv1.SiteInvitationList
	if err := h.Client.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
		return 0
	}
	n := 0
	for i := range list.Items {
		if pred(&list.Items[i]) {
			n++
		}
	}
	return n
}

// WaitFor polls until done holds for n objects, or the deadline passes.
func (h *Harness) WaitFor(ctx context.Context, n int, done func(*invv1.SiteInvitation) bool, every time.Duration) (int, error) {
	for {
		count := h.Count(ctx, done)
		if count >= n {
			return count, nil
		}
		select {
		case <-ctx.Done():
			return count, fmt.Errorf("%d of %d objects settled when time ran out", count, n)
		case <-time.After(every):
		}
	}
}

// Manager is the manager binary running as a subprocess.
type Manager struct {
	cmd        *exec.Cmd
	MetricsURL string
	done       chan struct{}
	peakRSS    int64
	cpu        float64
	mu         sync.Mutex
	stopWatch  chan struct{}
}

// BuildManager compiles cmd/manager once per run, the way the image is built (static, without symbol
// tables), so that its memory figures are the shipped binary's.
func (h *Harness) BuildManager() (string, error) {
	bin := filepath.Join(h.Dir, "manager")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/manager")
	cmd.Dir = h.Env.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// StartManager runs bin against the harness with the sandbox URLs and extra flags; logs go to logPath.
func (h *Harness) StartManager(bin, logPath string, extra ...string) (*Manager, error) {
	metrics := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort())
	args := append([]string{"--kubeconfig", h.Kubeconfig, "--wix-base-url", h.WixURL, "--wordpress-base-url", h.WPURL,
		"--metrics-bind-address", metrics, "--metrics-secure=false", fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", testenv.FreePort()),
		"--zap-log-level=error"}, extra...)
	logs, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = managerEnv(h.opts.ManagerEnv)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	m := &Manager{cmd: cmd, MetricsURL: "http://" + metrics + "/metrics", done: make(chan struct{}), stopWatch: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = logs.Close(); close(m.done) }()
	go m.watch()
	return m, nil
}

// managerEnv is this process' environment without its own GOGC and GOMEMLIMIT, plus extra: the
// manager runs with the collector settings a run asks for, not the bench's.
func managerEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// watch samples the process' peak RSS and CPU time while it runs.
func (m *Manager) watch() {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		m.sample()
		select {
		case <-m.done:
			return
		case <-m.stopWatch:
			return
		case <-t.C:
		}
	}
}

func (m *Manager) sample() {
	pid := m.cmd.Process.Pid
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		s := bufio.NewScanner(strings.NewReader(string(b)))
		for s.Scan() {
			if f := strings.Fields(s.Text()); len(f) >= 2 && f[0] == "VmHWM:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				m.mu.Lock()
				m.peakRSS = max(m.peakRSS, kb*1024)
				m.mu.Unlock()
			}
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the command name: utime is the 14th field, stime the 15th, in clock ticks (100/s).
		if i := strings.LastIndexByte(string(b), ')'); i > 0 {
			f := strings.Fields(string(b)[i+2:])
			if len(f) > 13 {
				u, _ := strconv.ParseFloat(f[11], 64)
				s, _ := strconv.ParseFloat(f[12], 64)
				m.mu.Lock()
				m.cpu = (u + s) / 100
				m.mu.Unlock()
			}
		}
	}
}

// RSS is the resident set size now, in bytes, in all and split into anonymous memory (the heap, stacks,
// the runtime) and file-backed pages (the binary's text and data); zeros once the process is gone.
func (m *Manager) RSS() (total, anon, file int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid))
	if err != nil {
		return 0, 0, 0
	}
	s := bufio.NewScanner(strings.NewReader(string(b)))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			total = kb * 1024
		case "RssAnon:":
			anon = kb * 1024
		case "RssFile:":
			file = kb * 1024
		}
	}
	return total, anon, file
}

// PeakRSS is the highest resident set size seen, in bytes.
func (m *Manager) PeakRSS() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peakRSS
}

// CPUSeconds is the user+system CPU time used so far.
func (m *Manager) CPUSeconds() float64 {
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cpu
}

// Kill ends the process at once (SIGKILL), as a node failure would.
func (m *Manager) Kill() {
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.done
}

// Stop asks the process to shut down gracefully and waits (bounded).
func (m *Manager) Stop() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(60 * time.Second):
		m.Kill()
	}
}

// Metric sums every series of one metric family from the manager's /metrics.
func (m *Manager) Metric(name string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.MetricsURL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	sum := 0.0
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := s.Text()
		if !strings.HasPrefix(line, name) || (len(line) > len(name) && line[len(name)] != '{' && line[len(name)] != ' ') {
			continue
		}
		f := strings.Fields(line)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		sum += v
	}
	return sum, s.Err()
}

// Alive reports whether the process is still running.
func (m *Manager) Alive() bool {
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}
