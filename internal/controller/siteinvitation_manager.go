package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// ProviderIndex is the field index of SiteInvitations by the provider they use (providerKey), so that a
// change to a provider re-queues exactly its SiteInvitations.
const ProviderIndex = ".spec.providerRef"

// SiteIndex is the field index of SiteInvitations by provider and site (siteKeyOf): the objects one look
// at a site can serve.
const SiteIndex = ".spec.providerRef+site"

// SetupWithManager registers the SiteInvitation controller: its index, and watches on both provider
// kinds (through the index) and on namespaces (a namespaceSelector may start or stop admitting one).
func (r *SiteInvitationReconciler) SetupWithManager(mgr ctrl.Manager, workers int) error {
	ctx := context.Background()
	if err := mgr.GetFieldIndexer().IndexField(ctx, &invv1.SiteInvitation{}, ProviderIndex, func(o client.Object) []string {
		return []string{indexKeyOf(o.(*invv1.SiteInvitation))}
	}); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &invv1.SiteInvitation{}, SiteIndex, func(o client.Object) []string {
		return []string{siteKeyOf(o.(*invv1.SiteInvitation))}
	}); err != nil {
		return err
	}
	if r.siblings == nil {
		r.siblings = make(chan event.GenericEvent, 1024)
	}
	r.lookSlots.n = max(workers/2, 1)
	byProvider := func(kind string) handler.MapFunc {
		return func(ctx context.Context, o client.Object) []reconcile.Request {
			return r.requestsFor(ctx, client.MatchingFields{ProviderIndex: providerKey(kind, o.GetNamespace(), o.GetName())})
		}
	}
	byNamespace := func(ctx context.Context, o client.Object) []reconcile.Request {
		return r.requestsFor(ctx, client.InNamespace(o.GetName()))
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&invv1.SiteInvitation{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, deletionStarted()))).
		Watches(&invv1.InvitationProvider{}, handler.EnqueueRequestsFromMapFunc(byProvider(invv1.InvitationProviderKind))).
		Watches(&invv1.ClusterInvitationProvider{}, handler.EnqueueRequestsFromMapFunc(byProvider(invv1.ClusterInvitationProviderKind))).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(byNamespace), builder.WithPredicates(predicate.LabelChangedPredicate{})).
		WatchesRawSource(source.Channel(r.siblings, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Named("siteinvitation").
		Complete(r)
}

// requestsFor lists the SiteInvitations a provider or namespace change concerns. A map function cannot
// return an error: a failed List is logged, and the periodic resync brings those objects round anyway.
func (r *SiteInvitationReconciler) requestsFor(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	var list invv1.SiteInvitationList
	if err := r.List(ctx, &list, opts...); err != nil {
		logf.FromContext(ctx).Error(err, "Listing the SiteInvitations to re-queue failed; they are reconciled at their next resync")
		return nil
	}
	reqs := make([]reconcile.Request, len(list.Items))
	for i, o := range list.Items {
		reqs[i] = reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&o)}
	}
	return reqs
}

// deletionStarted passes the update that sets deletionTimestamp, whatever else changed.
func deletionStarted() predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
	}}
}
