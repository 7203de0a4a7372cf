// Command manager runs the invitation-operator controllers.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/controller"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providers"
)

// options are the manager's flags.
type options struct {
	metricsAddr     string
	secureMetrics   bool
	probeAddr       string
	pprofAddr       string
	leaderElection  bool
	leaderElectNS   string
	kubeconfig      string
	workers         int
	resync          time.Duration
	sendDeadline    time.Duration
	providerPoll    time.Duration
	providerTimeout time.Duration
	shardSelector   string
	retryBase       time.Duration
	apiQPS          float64
	apiBurst        int
	leaseDuration   time.Duration
	renewDeadline   time.Duration
	retryPeriod     time.Duration
	wixBaseURL      string
	wpBaseURL       string
	ghostBaseURL    string
	leaderElectID   string
	clusterResNS    string
	allowedCIDRs    []netip.Prefix
	readShare       float64
	perObjectConds  bool
	zap             zap.Options
}

func parseFlags(args []string) (*options, error) {
	o := &options{zap: zap.Options{Development: false}}
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", "0",
		"Address of the metrics endpoint, e.g. :8443 (HTTPS) or :8080 (HTTP); 0 disables it.")
	fs.BoolVar(&o.secureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS with Kubernetes authentication and authorization.")
	fs.BoolVar(&o.perObjectConds, "metrics-per-object-conditions", false,
		"Export invitation_operator_siteinvitation_condition: one series per SiteInvitation and condition (about 1.1 series per "+
			"object; cost in docs/metrics.md). The fleet gauges by namespace and provider are always on.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz endpoints.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "0",
		"Address of the Go profiler (/debug/pprof/), e.g. 127.0.0.1:6060; 0 disables it. Never expose it outside the Pod.")
	_, inCluster := os.LookupEnv("KUBERNETES_SERVICE_HOST")
	fs.BoolVar(&o.leaderElection, "leader-elect", inCluster,
		"Elect a leader so only one replica reconciles. Default: on in a cluster, off out of cluster.")
	fs.StringVar(&o.leaderElectNS, "leader-election-namespace", "",
		"Namespace of the leader election Lease; defaults to the Pod's namespace.")
	fs.IntVar(&o.workers, "concurrency", 4, "SiteInvitations reconciled in parallel.")
	fs.DurationVar(&o.resync, "resync-period", 10*time.Minute,
		"How often pending invites are checked at the provider and providers re-verified (jittered by ±10%).")
	fs.DurationVar(&o.sendDeadline, "send-deadline", 2*time.Minute,
		"How long a send may still be running elsewhere; an older intent record is settled. Must exceed --provider-timeout.")
	fs.DurationVar(&o.providerPoll, "provider-poll-interval", 30*time.Second,
		"How often a provider that is not Ready re-reads its Secret (Secrets are read, never watched).")
	fs.DurationVar(&o.providerTimeout, "provider-timeout", 30*time.Second, "Timeout of one HTTP request to a provider.")
	fs.StringVar(&o.shardSelector, "watch-label-selector", "",
		"Only reconcile SiteInvitations matching this label selector, e.g. sharding.siteops.dev/key=shard1 (one shard per manager).")
	fs.StringVar(&o.wixBaseURL, "wix-base-url", "", "Send every Wix call to this base URL instead of the real API (sandbox, local runs).")
	fs.StringVar(&o.wpBaseURL, "wordpress-base-url", "",
		"Send every WordPress.com call to this base URL instead of the real API (sandbox, local runs).")
	fs.StringVar(&o.ghostBaseURL, "ghost-base-url", "",
		"Send every Ghost call to this origin, keeping each site's path (a proxy, or the sandbox serving several sites on one port).")
	fs.StringVar(&o.leaderElectID, "leader-election-id", "",
		"Name of the leader election Lease. Default: invitation-operator.invitations.siteops.dev, or, with --watch-label-selector, "+
			"a name derived from the selector, so that shards in one namespace each elect their own leader.")
	fs.StringVar(&o.clusterResNS, "cluster-resource-namespace", defaultClusterResourceNamespace(),
		"The only namespace ClusterInvitationProvider Secrets may live in. Default: the namespace the operator runs in.")
	fs.Float64Var(&o.readShare, "background-read-share", provider.DefaultReadShare,
		"Share (0 to 1] of each provider's rate limit that routine looks at pending invites and credential checks may use; "+
			"sends always come first.")
	fs.Func("allowed-provider-cidrs", "Comma-separated private ranges provider clients may connect to (on-premises providers, a "+
		"proxy, test networks), e.g. 10.20.0.0/16. Link-local and cloud-metadata addresses are always refused.", func(v string) error {
		cidrs, err := provider.ParseCIDRs(v)
		o.allowedCIDRs = append(o.allowedCIDRs, cidrs...)
		return err
	})
	fs.Float64Var(&o.apiQPS, "kube-api-qps", 50, "Queries per second the manager may make to the Kubernetes API.")
	fs.IntVar(&o.apiBurst, "kube-api-burst", 300, "Burst of queries the manager may make to the Kubernetes API.")
	fs.DurationVar(&o.retryBase, "retry-base", ledger.DefaultRetryBase,
		"First delay after a transient provider failure; doubles per attempt up to an hour.")
	fs.DurationVar(&o.leaseDuration, "leader-election-lease-duration", 15*time.Second, "How long a leader's Lease lasts without renewal.")
	fs.DurationVar(&o.renewDeadline, "leader-election-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew.")
	fs.DurationVar(&o.retryPeriod, "leader-election-retry-period", 2*time.Second, "How often candidates try to acquire or renew the Lease.")
	o.zap.BindFlags(fs)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "Path to a kubeconfig; only needed out of cluster.")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.sendDeadline <= o.providerTimeout {
		return nil, fmt.Errorf("--send-deadline (%s) must exceed --provider-timeout (%s)", o.sendDeadline, o.providerTimeout)
	}
	if o.workers < 1 {
		return nil, fmt.Errorf("--concurrency must be at least 1")
	}
	if o.readShare <= 0 || o.readShare > 1 {
		return nil, fmt.Errorf("--background-read-share must be above 0 and at most 1, got %v", o.readShare)
	}
	for flagName, v := range map[string]string{"wix-base-url": o.wixBaseURL, "wordpress-base-url": o.wpBaseURL, "ghost-base-url": o.ghostBaseURL} {
		if v == "" {
			continue
		}
		if _, err := provider.CheckEndpoint(v); err != nil {
			return nil, fmt.Errorf("--%s: %w", flagName, err)
		}
	}
	if o.clusterResNS == "" {
		return nil, fmt.Errorf("--cluster-resource-namespace is empty")
	}
	if o.leaderElectID == "" {
		o.leaderElectID = controller.LeaderElectionID(o.shardSelector)
	}
	return o, nil
}

// defaultClusterResourceNamespace is the namespace the operator runs in: POD_NAMESPACE (the chart and
// kustomize set it from the downward API), else the ServiceAccount's namespace file, else the install's
// default namespace for runs outside a cluster.
func defaultClusterResourceNamespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil && len(b) > 0 {
		return strings.TrimSpace(string(b))
	}
	return "invitation-system"
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&o.zap)))
	log := ctrl.Log.WithName("setup")

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(invv1.AddToScheme(scheme))

	var cfg *rest.Config
	if o.kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	} else {
		cfg, err = config.GetConfigWithContext("")
	}
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = float32(o.apiQPS), o.apiBurst

	metricsOpts := metricsserver.Options{
		BindAddress:   o.metricsAddr,
		SecureServing: o.secureMetrics,
		// HTTP/2 stays off: it is exposed to the HTTP/2 Rapid Reset and Stream Cancellation CVEs.
		TLSOpts: []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }},
	}
	if o.secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	// managedFields and kubectl's last-applied annotation are never read by the operator; not caching them
	// keeps every cached object smaller (docs/benchmarks.md has the figures).
	cacheOpts := cache.Options{DefaultTransform: controller.TrimForCache}
	if o.shardSelector != "" {
		sel, err := labels.Parse(o.shardSelector)
		if err != nil {
			return fmt.Errorf("--watch-label-selector: %w", err)
		}
		cacheOpts.ByObject = map[client.Object]cache.ByObject{&invv1.SiteInvitation{}: {Label: sel}}
	}
	// Sends finish (call and outcome write) even during shutdown; give them the time to.
	shutdown := o.sendDeadline + 10*time.Second
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsOpts,
		HealthProbeBindAddress:        o.probeAddr,
		PprofBindAddress:              o.pprofAddr,
		LeaderElection:                o.leaderElection,
		LeaderElectionID:              o.leaderElectID,
		LeaderElectionNamespace:       o.leaderElectNS,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOpts,
		LeaseDuration:                 &o.leaseDuration,
		RenewDeadline:                 &o.renewDeadline,
		RetryPeriod:                   &o.retryPeriod,
		GracefulShutdownTimeout:       &shutdown,
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if err := controller.Setup(mgr, controller.Options{
		Workers: o.workers, ResyncPeriod: o.resync, SendDeadline: o.sendDeadline, ProviderPollInterval: o.providerPoll,
		ProviderTimeout: o.providerTimeout, RetryBase: o.retryBase, NewClient: providers.New, Registerer: ctrlmetrics.Registry,
		BaseURLs:                 map[provider.Type]string{provider.Wix: o.wixBaseURL, provider.WordPress: o.wpBaseURL, provider.Ghost: o.ghostBaseURL},
		ClusterResourceNamespace: o.clusterResNS, Network: provider.Network{AllowedCIDRs: o.allowedCIDRs}, ReadShare: o.readShare,
		PerObjectConditions: o.perObjectConds,
	}); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}

	log.Info("Starting manager", "leaderElectionID", o.leaderElectID, "clusterResourceNamespace", o.clusterResNS)
	return mgr.Start(ctrl.SetupSignalHandler())
}
