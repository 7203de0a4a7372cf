package controller_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/controller"
	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providers"
	"github.com/siteops/invitation-operator/internal/sandbox"
	"github.com/siteops/invitation-operator/internal/testenv"
)

var (
	env *testenv.Env
	k8s client.Client
)

func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard()) // each test's manager logs into its own buffer
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if k8s, err = client.New(env.Config, client.Options{Scheme: env.Scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = env.Stop()
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

// The seed's sites and credentials (internal/sandbox/default.yaml).
const (
	wixSite      = "1f2d3c4b-5a69-4788-99aa-bbccddeeff00"
	wixRole      = "6600344420111308827"
	wixKey       = "sandbox-wix-api-key"
	wixAccount   = "0b5c4f8e-2a61-4c3e-9d47-6f0a1b2c3d4e"
	wpSite       = "example.wordpress.com"
	wpSiteID     = "123456789"
	wpToken      = "sandbox-wpcom-token"
	testDeadline = 2 * time.Second
	testResync   = 3 * time.Second
)

// world is one test's cluster namespace, sandbox servers and manager(s).
type world struct {
	t        *testing.T
	ns       string
	wix      *sandbox.Wix
	wp       *sandbox.WordPress
	ghost    *sandbox.Ghost
	wixURL   string
	wpURL    string
	ghostURL string
	logs     *syncBuffer
	stops    []func()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newWorld makes a namespace with a Wix and a WordPress.com InvitationProvider (Secrets included) and two
// fresh sandbox servers. Tests run one after another: each manager sees only its own namespace.
func newWorld(t *testing.T) *world { return newWorldTTL(t, 0) }

// newWorldTTL is newWorld with sandbox invites that lapse ttl after they are sent or resent (0: each
// fake's default: Wix 30 days, Ghost 7 days, WordPress.com never).
func newWorldTTL(t *testing.T, ttl time.Duration) *world {
	t.Helper()
	g := NewWithT(t)
	cfg := sandbox.DefaultConfig()
	w := &world{t: t, logs: &syncBuffer{},
		wix: sandbox.NewWix(sandbox.WixOptions{Sites: cfg.Wix.Sites, APIKeys: cfg.Wix.APIKeys, InviteTTL: ttl}),
		wp:  sandbox.NewWordPress(sandbox.WordPressOptions{Sites: cfg.WordPress.Sites, Tokens: cfg.WordPress.Tokens, InviteTTL: ttl})}
	w.ghost = sandbox.NewGhost(sandbox.GhostOptions{Sites: cfg.Ghost.Sites, InviteTTL: ttl})
	w.wixURL, w.wpURL, w.ghostURL = serveFake(t, w.wix), serveFake(t, w.wp), serveFake(t, w.ghost)

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"}}
	g.Expect(k8s.Create(context.Background(), ns)).To(Succeed())
	w.ns = ns.Name
	w.secret("wix-key", wixKey)
	w.secret("wp-token", wpToken)
	w.create(&invv1.InvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "wix", Namespace: w.ns},
		Spec: invv1.InvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{Wix: &invv1.WixProviderSpec{AccountID: wixAccount},
			SecretRef: invv1.SecretKeyReference{Name: "wix-key", Key: "key"}, RateLimit: &invv1.RateLimit{RequestsPerMinute: 6000, Burst: 100}}}})
	w.create(&invv1.InvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "wp", Namespace: w.ns},
		Spec: invv1.InvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{WordPress: &invv1.WordPressProviderSpec{},
			SecretRef: invv1.SecretKeyReference{Name: "wp-token", Key: "key"}, RateLimit: &invv1.RateLimit{RequestsPerMinute: 6000, Burst: 100}}}})
	t.Cleanup(func() {
		for i := len(w.stops) - 1; i >= 0; i-- {
			w.stops[i]()
		}
		if t.Failed() {
			t.Logf("manager logs:\n%s", w.logs.String())
		}
	})
	return w
}

// startedWorld is a world with one manager running.
func startedWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	w.start(managerOptions{})
	return w
}

// serveFake serves a fake provider on loopback for the test's lifetime and returns its URL.
func serveFake(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (w *world) secret(name, value string) {
	w.t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns}, StringData: map[string]string{"key": value}}
	ctx := context.Background()
	if err := k8s.Create(ctx, s); err != nil {
		NewWithT(w.t).Expect(k8s.Update(ctx, s)).To(Succeed())
	}
}

func (w *world) create(obj client.Object) {
	w.t.Helper()
	NewWithT(w.t).Expect(k8s.Create(context.Background(), obj)).To(Succeed())
}

// managerOptions tune one test manager.
type managerOptions struct {
	hooks controller.Hooks
	// registry receives the controller's metrics; nil means a fresh one.
	registry *prometheus.Registry
	// registerer, when set, receives them instead of registry (to see what is registered).
	registerer prometheus.Registerer
	// perObjectConditions switches on the per-object condition gauge.
	perObjectConditions bool
	// wixURL overrides the sandbox (an unreachable provider).
	wixURL string
	// secretReader, when set, wraps the manager's Secret reader (to count reads).
	secretReader func(client.Reader) client.Reader
	// shard, when set, makes the manager reconcile only SiteInvitations matching this label selector,
	// with leader election in the world's namespace under the shard's own Lease.
	shard string
	// clusterResourceNamespace is where ClusterInvitationProvider Secrets may live; default the world's
	// namespace.
	clusterResourceNamespace string
	// resync overrides testResync (a long one shows that a wake came from an expiry, not a resync).
	resync time.Duration
}

// start runs a manager for the world's namespace with short test periods; it stops at the test's end or
// when the returned function is called.
func (w *world) start(o managerOptions) (stop func()) {
	w.t.Helper()
	g := NewWithT(w.t)
	if o.registry == nil {
		o.registry = prometheus.NewRegistry()
	}
	var registerer prometheus.Registerer = o.registry
	if o.registerer != nil {
		registerer = o.registerer
	}
	if o.wixURL == "" {
		o.wixURL = w.wixURL
	}
	cacheOpts := cache.Options{DefaultNamespaces: map[string]cache.Config{w.ns: {}}, DefaultTransform: controller.TrimForCache}
	if o.shard != "" {
		sel, err := labels.Parse(o.shard)
		g.Expect(err).NotTo(HaveOccurred())
		cacheOpts.ByObject = map[client.Object]cache.ByObject{&invv1.SiteInvitation{}: {Label: sel}}
	}
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                  env.Scheme,
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		Cache:                   cacheOpts,
		Controller:              config.Controller{SkipNameValidation: ptr.To(true)},
		Logger:                  zap.New(zap.WriteTo(w.logs), zap.UseDevMode(true)),
		LeaderElection:          o.shard != "",
		LeaderElectionID:        controller.LeaderElectionID(o.shard),
		LeaderElectionNamespace: w.ns,
		LeaseDuration:           ptr.To(4 * time.Second),
		RenewDeadline:           ptr.To(3 * time.Second),
		RetryPeriod:             ptr.To(500 * time.Millisecond),
	})
	g.Expect(err).NotTo(HaveOccurred())
	secrets := mgr.GetAPIReader()
	if o.secretReader != nil {
		secrets = o.secretReader(secrets)
	}
	err = controller.Setup(mgr, controller.Options{
		Workers: 2, ResyncPeriod: cmp.Or(o.resync, testResync), SendDeadline: testDeadline, ProviderPollInterval: 500 * time.Millisecond,
		ProviderTimeout: time.Second, RetryBase: 300 * time.Millisecond, NewClient: providers.New, Registerer: registerer,
		BaseURLs: map[provider.Type]string{provider.Wix: o.wixURL, provider.WordPress: w.wpURL}, Hooks: o.hooks,
		SecretReader: secrets, ClusterResourceNamespace: cmp.Or(o.clusterResourceNamespace, w.ns), PerObjectConditions: o.perObjectConditions,
	})
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = mgr.Start(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	w.stops = append(w.stops, stop)
	return stop
}

func (w *world) invitation(name string, p invv1.ProviderType, emails ...string) *invv1.SiteInvitation {
	obj := &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns}, Spec: invv1.SiteInvitationSpec{
		Provider: p, Emails: emails, RemovalPolicy: invv1.RemovalPolicyKeep}}
	if p == invv1.ProviderWix {
		obj.Spec.ProviderRef = invv1.ProviderReference{Kind: invv1.InvitationProviderKind, Name: "wix"}
		obj.Spec.Site, obj.Spec.Roles = wixSite, []string{wixRole}
	} else {
		obj.Spec.ProviderRef = invv1.ProviderReference{Kind: invv1.InvitationProviderKind, Name: "wp"}
		obj.Spec.Site, obj.Spec.Roles = wpSite, []string{"author"}
	}
	return obj
}

func (w *world) get(name string) *invv1.SiteInvitation {
	obj := &invv1.SiteInvitation{}
	NewWithT(w.t).Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: w.ns, Name: name}, obj)).To(Succeed())
	return obj
}

// update applies change to the latest version of the object, retrying on conflicts.
func (w *world) update(name string, change func(*invv1.SiteInvitation)) {
	w.t.Helper()
	NewWithT(w.t).Eventually(func() error {
		obj := w.get(name)
		change(obj)
		return k8s.Update(context.Background(), obj)
	}).WithTimeout(10 * time.Second).Should(Succeed())
}

// condition returns the object's condition of type typ as "Status/Reason", or "" if absent.
func condition(obj *invv1.SiteInvitation, typ string) string {
	c := meta.FindStatusCondition(obj.Status.Conditions, typ)
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + c.Reason
}

// eventually waits until check passes on the named object (bounded), and returns the object.
func (w *world) eventually(name string, timeout time.Duration, check func(g Gomega, obj *invv1.SiteInvitation)) *invv1.SiteInvitation {
	w.t.Helper()
	var last *invv1.SiteInvitation
	NewWithT(w.t).Eventually(func(g Gomega) {
		last = w.get(name)
		check(g, last)
	}).WithTimeout(timeout).WithPolling(100 * time.Millisecond).Should(Succeed())
	return last
}

// inviteAndWait creates a SiteInvitation of type p for list and waits (bounded) until it is Ready.
func (w *world) inviteAndWait(name string, p invv1.ProviderType, list ...string) *invv1.SiteInvitation {
	w.t.Helper()
	w.create(w.invitation(name, p, list...))
	return w.eventually(name, 30*time.Second, ready)
}

// acceptedOnce waits until the named object counts its one invite accepted: a refresh, due every resync,
// saw it.
func (w *world) acceptedOnce(name string) {
	w.t.Helper()
	w.eventually(name, 3*testResync, func(g Gomega, o *invv1.SiteInvitation) {
		g.Expect(o.Status.Summary.Accepted).To(Equal(int32(1)))
	})
}

func ready(g Gomega, obj *invv1.SiteInvitation) {
	g.Expect(condition(obj, "Ready")).To(Equal("True/Succeeded"), "conditions: %+v", obj.Status.Conditions)
	g.Expect(obj.Status.ObservedGeneration).To(Equal(obj.Generation))
}

func emails(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d@example.com", prefix, i)
	}
	return out
}

// exactlyOnce asserts, from the sandbox ledger, that each email got exactly one invitation email — a
// first invite or a resend alike, so an email nobody asked for fails it — and that nobody else got two.
func exactlyOnce(g Gomega, snap sandbox.Snapshot, site string, list []string) {
	for _, e := range list {
		g.ExpectWithOffset(1, snap.Emails(site, e)).To(Equal(1), "invitation emails to %s", e)
	}
	g.ExpectWithOffset(1, snap.Duplicates).To(BeEmpty())
}

// events returns the events about the named object (every event of the namespace for "").
func (w *world) events(name string) []eventsv1.Event {
	var list eventsv1.EventList
	NewWithT(w.t).Expect(k8s.List(context.Background(), &list, client.InNamespace(w.ns))).To(Succeed())
	var out []eventsv1.Event
	for _, e := range list.Items {
		if name == "" || e.Regarding.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// expectEvent waits (bounded) for an event about the named object with reason: events are recorded
// asynchronously.
func (w *world) expectEvent(name, reason string) {
	w.t.Helper()
	NewWithT(w.t).Eventually(func() bool {
		for _, e := range w.events(name) {
			if e.Reason == reason {
				return true
			}
		}
		return false
	}).WithTimeout(10*time.Second).Should(BeTrue(), "an event %s about %s", reason, name)
}

// inviteCalls reads a sandbox's invite call count, for Consistently.
func inviteCalls(snap func() sandbox.Snapshot) func() int {
	return func() int { return snap().Calls[sandbox.OpInvite] }
}

// fakeProvider is what tests do with either sandbox: read its ledger, accept or expire an invite.
type fakeProvider interface {
	Snapshot() sandbox.Snapshot
	Accept(site, email string) error
	Expire(site, email string) error
}

// fake returns the sandbox site ID and fake of provider type p.
func (w *world) fake(p invv1.ProviderType) (string, fakeProvider) {
	if p == invv1.ProviderWix {
		return wixSite, w.wix
	}
	return wpSiteID, w.wp
}

// Ghost: the sandbox's first site, served at the fake's root.
const (
	ghostSiteID         = "/"
	ghostStaffKey       = "5a4db0c5a4db0c5a4db0c5a1:5a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c5"
	ghostIntegrationKey = "1a7e00001a7e00001a7e0001:1a7e00001a7e00001a7e00001a7e00001a7e00001a7e00001a7e00001a7e0000"
)

// ghostProvider creates a ClusterInvitationProvider for the world's fake Ghost (plain http to loopback is
// allowed only on the cluster kind) with a key of keyType, admitting every namespace, and returns its name.
func (w *world) ghostProvider(keyType invv1.GhostKeyType) string {
	w.t.Helper()
	key := ghostStaffKey
	if keyType == invv1.GhostIntegration {
		key = ghostIntegrationKey
	}
	name := "ghost-" + strings.ToLower(string(keyType)) + "-" + w.ns
	w.secret(name, key)
	p := &invv1.ClusterInvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: invv1.ClusterInvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{
			Ghost:     &invv1.GhostProviderSpec{KeyType: keyType, Sites: []string{w.ghostURL}},
			SecretRef: invv1.SecretKeyReference{Name: name, Key: "key"}, RateLimit: &invv1.RateLimit{RequestsPerMinute: 6000, Burst: 100}},
			NamespaceSelector: &metav1.LabelSelector{}}}
	w.create(p)
	w.t.Cleanup(func() { _ = k8s.Delete(context.Background(), p) })
	return name
}

// ghostInvitation is the SiteInvitation "blog" for the fake Ghost through the ClusterInvitationProvider
// named ref.
func (w *world) ghostInvitation(ref string, emails ...string) *invv1.SiteInvitation {
	return &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Name: "blog", Namespace: w.ns}, Spec: invv1.SiteInvitationSpec{
		Provider: invv1.ProviderGhost, ProviderRef: invv1.ProviderReference{Kind: invv1.ClusterInvitationProviderKind, Name: ref},
		Site: w.ghostURL, Roles: []string{"Author"}, Emails: emails, RemovalPolicy: invv1.RemovalPolicyKeep}}
}
