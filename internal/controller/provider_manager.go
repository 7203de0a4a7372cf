package controller

import (
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// SetupWithManager registers the provider controller of r.Kind. Its own status writes change nothing it
// reads, so it only follows spec changes and wake-ups from the SiteInvitation controller (a credential
// rejected mid-flight).
func (r *ProviderReconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		For(r.newObject(), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named(map[string]string{invv1.InvitationProviderKind: "invitationprovider",
			invv1.ClusterInvitationProviderKind: "clusterinvitationprovider"}[r.Kind])
	b = b.WatchesRawSource(source.Channel(r.Providers.WakeChannel(r.Kind), &handler.EnqueueRequestForObject{}))
	return b.Complete(r)
}
