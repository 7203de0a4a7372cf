package controller

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// providerRefKind returns the kind a providerRef names, applying the API default.
func providerRefKind(ref invv1.ProviderReference) string {
	if ref.Kind == "" {
		return invv1.InvitationProviderKind
	}
	return ref.Kind
}

// indexKeyOf is the provider key a SiteInvitation points at (the value of its field index).
func indexKeyOf(obj *invv1.SiteInvitation) string {
	kind := providerRefKind(obj.Spec.ProviderRef)
	return providerKey(kind, obj.Namespace, obj.Spec.ProviderRef.Name)
}

// resolveProvider finds the provider object a SiteInvitation names and checks that this object may use
// it: the types agree, and a ClusterInvitationProvider's namespaceSelector admits the namespace (no
// selector admits none; {} admits all). Every problem is a *configError with a precise reason; no
// provider call is made.
func (r *SiteInvitationReconciler) resolveProvider(ctx context.Context, obj *invv1.SiteInvitation) (*Handle, error) {
	ref := obj.Spec.ProviderRef
	var pobj client.Object
	key := types.NamespacedName{Name: ref.Name}
	switch providerRefKind(ref) {
	case invv1.ClusterInvitationProviderKind:
		pobj = &invv1.ClusterInvitationProvider{}
	default:
		pobj, key.Namespace = &invv1.InvitationProvider{}, obj.Namespace
	}
	if err := r.Get(ctx, key, pobj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &configError{invv1.ReasonProviderNotFound, fmt.Sprintf("%s %s not found", providerRefKind(ref), key)}
		}
		return nil, err
	}
	v := viewOf(pobj)
	if got := v.Spec.Type(); got != obj.Spec.Provider {
		return nil, &configError{invv1.ReasonProviderTypeMismatch, fmt.Sprintf("%s %s is a %s provider, but spec.provider is %s",
			v.Kind, key, got, obj.Spec.Provider)}
	}
	if g := v.Spec.Ghost; g != nil && !servesSite(g.Sites, obj.Spec.Site) {
		return nil, &configError{invv1.ReasonSiteNotServed, fmt.Sprintf(
			"%s does not serve site %s (spec.ghost.sites: %s): a Ghost site is also where the operator connects, so only pinned sites are used",
			v.Name(), obj.Spec.Site, strings.Join(g.Sites, ", "))}
	}
	if v.Kind == invv1.ClusterInvitationProviderKind {
		if v.Selector == nil {
			return nil, &configError{invv1.ReasonNamespaceNotAllowed, fmt.Sprintf(
				"ClusterInvitationProvider %s has no spec.namespaceSelector, so it admits no namespace; its owner must set "+
					"spec.namespaceSelector (matchLabels to admit some namespaces, {} to admit every namespace)", ref.Name)}
		}
		allowed, err := r.namespaceAllowed(ctx, obj.Namespace, v.Selector)
		if err != nil {
			return nil, err
		}
		if !allowed {
			return nil, &configError{invv1.ReasonNamespaceNotAllowed, fmt.Sprintf(
				"the namespaceSelector of ClusterInvitationProvider %s does not admit namespace %s", ref.Name, obj.Namespace)}
		}
	}
	return r.Providers.Get(ctx, pobj)
}

func (r *SiteInvitationReconciler) namespaceAllowed(ctx context.Context, namespace string, sel *metav1.LabelSelector) (bool, error) {
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, &configError{invv1.ReasonNamespaceNotAllowed, "the provider's namespaceSelector does not parse (" + err.Error() +
			"); its owner must fix spec.namespaceSelector"}
	}
	var ns corev1.Namespace
	if err := r.Get(ctx, types.NamespacedName{Name: namespace}, &ns); err != nil {
		return false, err
	}
	return selector.Matches(labels.Set(ns.Labels)), nil
}

// servesSite reports whether site is one of the pinned sites, compared as URLs (case of scheme and host,
// a trailing slash).
func servesSite(pinned []string, site string) bool {
	want, err := provider.NormalizeSite(site)
	if err != nil {
		return false
	}
	for _, s := range pinned {
		if norm, err := provider.NormalizeSite(s); err == nil && norm == want {
			return true
		}
	}
	return false
}
