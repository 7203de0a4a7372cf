// Package browser tests what a person trying `make demo` sees, in a real headless Chromium: the sandbox
// page's buttons change the fake provider, and the operator carries the change into the SiteInvitation's
// status. `make test-browser` installs Chromium (Debian's package) when it is missing and sets CHROMIUM;
// without CHROMIUM (a plain `go test ./...`) the test skips and says how to run it.
package browser

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/controller"
	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providers"
	"github.com/siteops/invitation-operator/internal/sandbox"
	"github.com/siteops/invitation-operator/internal/testenv"
)

// resync is how often the manager refreshes pending invites here, so a click shows in status quickly.
const resync = 2 * time.Second

// chromium returns the browser make test-browser installed, or skips a local run without it.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		t.Skip("CHROMIUM is not set: run `make test-browser`, which installs Debian's chromium when it is missing")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("CHROMIUM=%s: %v", path, err)
	}
	return path
}

// world is a control plane, the sandbox servers with their combined page, and a manager in-process.
type world struct {
	k8s     client.Client
	ns      string
	wp      *sandbox.WordPress
	pageURL string
}

func start(t *testing.T) *world {
	t.Helper()
	g := NewWithT(t)
	env, _ := testenv.StartForTest(t)
	k8s, err := client.New(env.Config, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	cfg := sandbox.DefaultConfig()
	wix := sandbox.NewWix(sandbox.WixOptions{Sites: cfg.Wix.Sites, APIKeys: cfg.Wix.APIKeys})
	wp := sandbox.NewWordPress(sandbox.WordPressOptions{Sites: cfg.WordPress.Sites, Tokens: cfg.WordPress.Tokens})
	wixSrv, wpSrv, page := httptest.NewServer(wix), httptest.NewServer(wp), httptest.NewServer(sandbox.NewPage(wix, wp))
	for _, s := range []*httptest.Server{wixSrv, wpSrv, page} {
		t.Cleanup(s.Close)
	}

	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "demo-"}}
	g.Expect(k8s.Create(ctx, ns)).To(Succeed())
	g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "wpcom-token", Namespace: ns.Name},
		StringData: map[string]string{"token": cfg.WordPress.Tokens[0].Secret}})).To(Succeed())
	g.Expect(k8s.Create(ctx, &invv1.InvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "wpcom", Namespace: ns.Name},
		Spec: invv1.InvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{WordPress: &invv1.WordPressProviderSpec{},
			SecretRef: invv1.SecretKeyReference{Name: "wpcom-token", Key: "token"}}}})).To(Succeed())

	ctrl.SetLogger(logr.Discard())
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{Scheme: env.Scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(controller.Setup(mgr, controller.Options{Workers: 2, ResyncPeriod: resync, SendDeadline: 5 * time.Second,
		ProviderPollInterval: time.Second, ProviderTimeout: 2 * time.Second, NewClient: providers.New, Registerer: prometheus.NewRegistry(),
		BaseURLs: map[provider.Type]string{provider.Wix: wixSrv.URL, provider.WordPress: wpSrv.URL}, ClusterResourceNamespace: ns.Name,
	})).To(Succeed())
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = mgr.Start(mctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &world{k8s: k8s, ns: ns.Name, wp: wp, pageURL: page.URL}
}

// state is the named email's status.sent state ("" while absent).
func (w *world) state(g Gomega, name, email string) invv1.InvitationState {
	obj := &invv1.SiteInvitation{}
	g.Expect(w.k8s.Get(context.Background(), client.ObjectKey{Namespace: w.ns, Name: name}, obj)).To(Succeed())
	for _, s := range obj.Status.Sent {
		if s.Email == email {
			return s.State
		}
	}
	return ""
}

// browse starts a headless Chromium with a fresh profile and every background connection off: this
// machine's network refuses anything but loopback.
func browse(t *testing.T, exec string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exec), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	return ctx
}

// TestClickAcceptAndExpireOnTheSandboxPage: a person opens the demo's sandbox page, clicks accept for one
// invite and expire for another; the page shows both, and the SiteInvitation's status follows at the
// operator's next refresh.
func TestClickAcceptAndExpireOnTheSandboxPage(t *testing.T) {
	exec := chromium(t)
	g := NewWithT(t)
	w := start(t)
	obj := &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Name: "blog-authors", Namespace: w.ns}, Spec: invv1.SiteInvitationSpec{
		Provider: invv1.ProviderWordPress, ProviderRef: invv1.ProviderReference{Kind: invv1.InvitationProviderKind, Name: "wpcom"},
		Site: "example.wordpress.com", Roles: []string{"author"}, Emails: []string{"ada@example.com", "grace@example.com"}}}
	g.Expect(w.k8s.Create(context.Background(), obj)).To(Succeed())
	for _, email := range obj.Spec.Emails {
		g.Eventually(func(g Gomega) { g.Expect(w.state(g, obj.Name, email)).To(Equal(invv1.InvitationPending)) }).
			WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
	}

	ctx := browse(t, exec)
	row := func(email string, state sandbox.InviteState) string {
		return `tr[data-email="` + email + `"][data-state="` + string(state) + `"]`
	}
	var notices [2]string
	for i, click := range []struct{ email, action string }{{"ada@example.com", "accept"}, {"grace@example.com", "expire"}} {
		// Load the page afresh before each click, so its own 5-second refresh cannot pull the button away.
		g.Expect(chromedp.Do(ctx,
			chromedp.Navigate(w.pageURL+"/"),
			chromedp.Click(chromedp.CSS(row(click.email, sandbox.StatePending)+` button[data-action="`+click.action+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("#notice")),
		)).To(Succeed(), "clicking %s for %s", click.action, click.email)
		var err error
		notices[i], err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#notice")))
		g.Expect(err).NotTo(HaveOccurred())
	}
	g.Expect(chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(row("ada@example.com", sandbox.StateAccepted))),
		chromedp.WaitVisible(chromedp.CSS(row("grace@example.com", sandbox.StateExpired))),
	)).To(Succeed())
	acceptedCell, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row("ada@example.com", sandbox.StateAccepted)+" td.state")))
	g.Expect(err).NotTo(HaveOccurred())
	screenshot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(notices[0]).To(ContainSubstring("accepted ada@example.com on WordPress"))
	g.Expect(notices[1]).To(ContainSubstring("expired grace@example.com"))
	g.Expect(strings.TrimSpace(acceptedCell)).To(Equal("accepted"))
	saveScreenshot(t, screenshot)

	g.Eventually(func(g Gomega) {
		g.Expect(w.state(g, obj.Name, "ada@example.com")).To(Equal(invv1.InvitationAccepted))
		g.Expect(w.state(g, obj.Name, "grace@example.com")).To(Equal(invv1.InvitationExpired))
	}).WithTimeout(6*resync).WithPolling(200*time.Millisecond).Should(Succeed(), "the operator's refresh carries the clicks into status")
	snap := w.wp.Snapshot()
	g.Expect(snap.Emails("123456789", "ada@example.com")).To(Equal(1), "clicking emails nobody")
	g.Expect(snap.Duplicates).To(BeEmpty())
}

// saveScreenshot keeps the page as the browser drew it in bin/browser/, for a person to look at.
func saveScreenshot(t *testing.T, png []byte) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "bin", "browser")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sandbox-page.png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
