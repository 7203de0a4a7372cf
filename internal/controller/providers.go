package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// Default rate limits per provider object when its spec sets none. Wix documents 200 requests per minute
// per app instance; WordPress.com documents none, so we stay well below anything that looks abusive.
var defaultRateLimits = map[provider.Type]invv1.RateLimit{
	provider.Wix:       {RequestsPerMinute: 100, Burst: 5},
	provider.WordPress: {RequestsPerMinute: 60, Burst: 5},
	provider.Ghost:     {RequestsPerMinute: 60, Burst: 5},
}

// providerView is the part of an InvitationProvider or ClusterInvitationProvider the controllers use, so
// both kinds share one code path.
type providerView struct {
	Kind   string
	Key    string
	Object client.Object
	Spec   *invv1.ProviderSpec
	Status *invv1.ProviderStatus
	// SecretNamespace is where the credential's Secret is read: the provider's own namespace, or for a
	// ClusterInvitationProvider the one secretRef names (empty: the cluster resource namespace).
	SecretNamespace string
	BaseURL         string
	Selector        *metav1.LabelSelector
}

func viewOf(obj client.Object) providerView {
	switch p := obj.(type) {
	case *invv1.InvitationProvider:
		return providerView{Kind: invv1.InvitationProviderKind, Key: providerKey(invv1.InvitationProviderKind, p.Namespace, p.Name),
			Object: p, Spec: &p.Spec.ProviderSpec, Status: &p.Status, SecretNamespace: p.Namespace}
	case *invv1.ClusterInvitationProvider:
		return providerView{Kind: invv1.ClusterInvitationProviderKind, Key: providerKey(invv1.ClusterInvitationProviderKind, "", p.Name),
			Object: p, Spec: &p.Spec.ProviderSpec, Status: &p.Status, SecretNamespace: p.Spec.SecretRef.Namespace,
			BaseURL: p.Spec.BaseURL, Selector: p.Spec.NamespaceSelector}
	}
	panic(fmt.Sprintf("not a provider object: %T", obj))
}

// Name is how messages name the provider object: "ClusterInvitationProvider corp", "InvitationProvider
// team/wp".
func (v providerView) Name() string {
	if ns := v.Object.GetNamespace(); ns != "" {
		return v.Kind + " " + ns + "/" + v.Object.GetName()
	}
	return v.Kind + " " + v.Object.GetName()
}

// providerKey identifies a provider object; it is also the value of the SiteInvitation field index.
func providerKey(kind, namespace, name string) string {
	if kind == invv1.ClusterInvitationProviderKind {
		return kind + "/" + name
	}
	return kind + "/" + namespace + "/" + name
}

// configError is a provider configuration problem: no call can be made until a human fixes it.
type configError struct {
	Reason  string
	Message string
}

func (e *configError) Error() string { return e.Reason + ": " + e.Message }

// Providers is the runtime state shared by every reconciler for each provider object: the credential last
// read from its Secret, the client built with it, its rate limiter, whether the provider rejected that
// credential, and until when calls wait after a Retry-After. Secrets are read on demand through an
// uncached reader; nothing watches or caches Secrets cluster-wide.
type Providers struct {
	// SecretReader reads Secrets without a cache (the manager's APIReader).
	SecretReader client.Reader
	// NewClient builds a provider client (providers.New; tests inject fakes).
	NewClient func(provider.Config) (provider.Client, error)
	// BaseURLs override each provider type's endpoint for every provider object (sandbox, local runs).
	BaseURLs map[provider.Type]string
	// Timeout bounds each provider HTTP request.
	Timeout time.Duration
	// Observer receives per-request metrics.
	Observer provider.RequestObserver
	// ClusterResourceNamespace is the only namespace a ClusterInvitationProvider's Secret may live in
	// (the manager's --cluster-resource-namespace): whoever may write a ClusterInvitationProvider must not
	// be able to make the operator read Secrets anywhere else.
	ClusterResourceNamespace string
	// Network is where provider clients may connect (the manager's --allowed-provider-cidrs).
	Network provider.Network
	// ReadShare is the share of each provider's rate that background reads (refreshes, credential
	// checks) may use (the manager's --background-read-share; 0: provider.DefaultReadShare).
	ReadShare float64

	wake     map[string]chan event.GenericEvent // per provider kind: reconcile this provider now
	limiters *provider.Limiters
	mu       sync.Mutex
	entries  map[string]*providerEntry
}

type providerEntry struct {
	generation    int64
	secretVersion string
	ptype         provider.Type
	client        provider.Client
	quota         *provider.Quota
	rejected      string    // non-empty: the provider rejected this secret version, with this message
	notBefore     time.Time // no call before this (Retry-After)
}

// Handle is one provider as a reconciler uses it.
type Handle struct {
	Key           string
	Type          provider.Type
	Client        provider.Client
	SecretVersion string
	// Quota is the provider object's share of the provider's rate, shared by all its callers.
	Quota *provider.Quota
	view  providerView
	p     *Providers
}

func (p *Providers) init() {
	if p.entries == nil {
		p.entries = map[string]*providerEntry{}
		p.limiters = provider.NewLimiters(p.ReadShare)
		p.wake = map[string]chan event.GenericEvent{}
	}
}

// WakeChannel returns the channel on which provider objects of kind are sent for an immediate reconcile
// (a credential was rejected mid-flight); the provider controller of that kind watches it.
func (p *Providers) WakeChannel(kind string) chan event.GenericEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	if p.wake[kind] == nil {
		p.wake[kind] = make(chan event.GenericEvent, 64)
	}
	return p.wake[kind]
}

// Get returns the handle for a provider object, reading its Secret only when nothing usable is cached (a
// first use, or a changed provider spec). The provider reconciler calls Load to re-read it.
func (p *Providers) Get(ctx context.Context, obj client.Object) (*Handle, error) {
	v := viewOf(obj)
	p.mu.Lock()
	p.init()
	e, ok := p.entries[v.Key]
	p.mu.Unlock()
	if ok && e.generation == obj.GetGeneration() {
		return p.handle(v, e), nil
	}
	return p.Load(ctx, obj)
}

// Load reads the provider's Secret now, checks the credential's shape and (re)builds the client when the
// Secret or the provider spec changed. A rejection recorded in the provider's status for the same Secret
// version survives a restart of the operator.
func (p *Providers) Load(ctx context.Context, obj client.Object) (*Handle, error) {
	v := viewOf(obj)
	ptype := provider.Type(v.Spec.Type())
	ref := v.Spec.SecretRef
	if v.Kind == invv1.ClusterInvitationProviderKind {
		if v.SecretNamespace != "" && v.SecretNamespace != p.ClusterResourceNamespace {
			return nil, &configError{invv1.ReasonSecretNamespaceNotAllowed, fmt.Sprintf(
				"spec.secretRef.namespace is %s, but a ClusterInvitationProvider's Secret may only live in the operator's cluster resource "+
					"namespace %s: move the Secret there and remove spec.secretRef.namespace (or set it to %s); the operator does not read it",
				v.SecretNamespace, p.ClusterResourceNamespace, p.ClusterResourceNamespace)}
		}
		v.SecretNamespace = p.ClusterResourceNamespace
	}
	var secret corev1.Secret
	err := p.SecretReader.Get(ctx, types.NamespacedName{Namespace: v.SecretNamespace, Name: ref.Name}, &secret)
	switch {
	case apierrors.IsNotFound(err):
		return nil, &configError{invv1.ReasonSecretNotFound, fmt.Sprintf("Secret %s/%s not found", v.SecretNamespace, ref.Name)}
	case apierrors.IsForbidden(err):
		return nil, &configError{invv1.ReasonSecretNotFound, fmt.Sprintf("the operator may not read Secret %s/%s", v.SecretNamespace, ref.Name)}
	case err != nil:
		return nil, err
	}
	raw, ok := secret.Data[ref.Key]
	if !ok {
		return nil, &configError{invv1.ReasonKeyNotFound, fmt.Sprintf("Secret %s/%s has no key %q", v.SecretNamespace, ref.Name, ref.Key)}
	}
	credential, problem := credentialShape(raw)
	if problem != "" {
		return nil, &configError{invv1.ReasonCredentialMalformed, fmt.Sprintf("key %q of Secret %s/%s %s", ref.Key, v.SecretNamespace, ref.Name, problem)}
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	e, ok := p.entries[v.Key]
	if !ok || e.secretVersion != secret.ResourceVersion || e.generation != obj.GetGeneration() {
		c, err := p.build(v, ptype, credential)
		if err != nil {
			return nil, &configError{invv1.ReasonCredentialMalformed, err.Error()}
		}
		next := &providerEntry{generation: obj.GetGeneration(), secretVersion: secret.ResourceVersion, ptype: ptype, client: c,
			quota: p.quotaOf(v, ptype)}
		if ok {
			next.notBefore = e.notBefore
			if e.secretVersion == secret.ResourceVersion {
				next.rejected = e.rejected
			}
		}
		if cond := meta.FindStatusCondition(v.Status.Conditions, invv1.ConditionReady); cond != nil && cond.Reason == invv1.ReasonCredentialRejected &&
			v.Status.SecretResourceVersion == secret.ResourceVersion && next.rejected == "" {
			next.rejected = cond.Message
		}
		p.entries[v.Key] = next
		e = next
	}
	return p.handle(v, e), nil
}

// handle is the one way a cached entry becomes a Handle, so a cached Get and a Load hand out the same.
func (p *Providers) handle(v providerView, e *providerEntry) *Handle {
	return &Handle{Key: v.Key, Type: e.ptype, Client: e.client, SecretVersion: e.secretVersion, Quota: e.quota, view: v, p: p}
}

// quotaOf is a provider object's quota, at its spec's rate limit or its type's default.
func (p *Providers) quotaOf(v providerView, ptype provider.Type) *provider.Quota {
	limit := defaultRateLimits[ptype]
	if v.Spec.RateLimit != nil {
		limit = *v.Spec.RateLimit
	}
	return p.limiters.Get(v.Key, int(limit.RequestsPerMinute), int(limit.Burst))
}

func (p *Providers) build(v providerView, ptype provider.Type, credential string) (provider.Client, error) {
	base := v.BaseURL
	if base == "" {
		base = p.BaseURLs[ptype]
	}
	cfg := provider.Config{
		Type: ptype, Credential: credential, BaseURL: base, BatchSize: int(v.Spec.BatchSize),
		Limiter: p.quotaOf(v, ptype), Timeout: p.Timeout, Observer: p.Observer,
		Network: p.Network,
	}
	if v.Spec.Wix != nil {
		cfg.AccountID = v.Spec.Wix.AccountID
	}
	if g := v.Spec.Ghost; g != nil {
		cfg.Sites, cfg.StaffToken = g.Sites, g.KeyType == invv1.GhostStaffToken
	}
	return p.NewClient(cfg)
}

// Forget drops everything known about a deleted provider object.
func (p *Providers) Forget(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.init()
	delete(p.entries, key)
	p.limiters.Forget(key)
}

// credentialShape trims the trailing newline a file-created Secret often carries and rejects what cannot
// be a token: empty, whitespace or control characters inside, or absurdly long.
func credentialShape(raw []byte) (string, string) {
	s := strings.TrimRight(string(raw), "\r\n")
	switch {
	case s == "":
		return "", "is empty"
	case len(s) > 8192:
		return "", "is longer than 8 KiB"
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "", "contains whitespace or control characters"
	}
	return s, ""
}

// Rejected returns the provider's message when it rejected this credential; no call is made with it until
// the Secret changes.
func (h *Handle) Rejected() string {
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	if e := h.p.entries[h.Key]; e != nil && e.secretVersion == h.SecretVersion {
		return e.rejected
	}
	return ""
}

// MarkRejected records that the provider refused this credential (401), stopping every caller, and wakes
// the provider's reconciler so its status says so.
func (h *Handle) MarkRejected(message string) {
	h.p.mu.Lock()
	if e := h.p.entries[h.Key]; e != nil && e.secretVersion == h.SecretVersion {
		e.rejected = message
	}
	h.p.mu.Unlock()
	select {
	case h.p.WakeChannel(h.view.Kind) <- event.GenericEvent{Object: wakeObject(h.view)}:
	default: // a wake-up is already queued
	}
}

// NotBefore returns the time before which no call may be made (a provider's Retry-After), or zero.
func (h *Handle) NotBefore() time.Time {
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	if e := h.p.entries[h.Key]; e != nil {
		return e.notBefore
	}
	return time.Time{}
}

// wakeObject returns a new object naming the provider of v. The event handler reads it on another
// goroutine, so it must not be the caller's object, which the caller goes on to decode status into.
func wakeObject(v providerView) client.Object {
	om := metav1.ObjectMeta{Name: v.Object.GetName(), Namespace: v.Object.GetNamespace()}
	if v.Kind == invv1.ClusterInvitationProviderKind {
		return &invv1.ClusterInvitationProvider{ObjectMeta: om}
	}
	return &invv1.InvitationProvider{ObjectMeta: om}
}

// Hold makes every caller of this provider wait until t.
func (h *Handle) Hold(t time.Time) {
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	if e := h.p.entries[h.Key]; e != nil && t.After(e.notBefore) {
		e.notBefore = t
	}
}
