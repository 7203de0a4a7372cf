package controller

import (
	"context"
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,resourceNames=siteinvitations.invitations.siteops.dev,verbs=get

// finalize applies removalPolicy on deletion. The finalizer exists only while there is something to
// revoke, so with Keep (or nothing pending) deletion never waits for the provider. With Revoke, the
// in-flight send is settled and every pending invite revoked first; if the provider object itself is gone
// there is nothing to revoke with, and deletion proceeds with a Warning event.
func (r *SiteInvitationReconciler) finalize(ctx context.Context, obj *invv1.SiteInvitation) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, invv1.FinalizerName) {
		return ctrl.Result{}, nil
	}
	if obj.Spec.RemovalPolicy != invv1.RemovalPolicyRevoke || !hasRevocable(&obj.Status) {
		return ctrl.Result{}, r.ensureFinalizer(ctx, obj, false)
	}
	// The user deleting this object means "revoke"; the CRD going away (an uninstall) deletes every object
	// with it and means nothing of the kind: let go without touching the provider.
	if uninstalling, err := r.crdDeleting(ctx); err != nil {
		return ctrl.Result{}, err
	} else if uninstalling {
		r.Recorder.Eventf(obj, nil, "Normal", invv1.EventRevokeSkipped, "Delete",
			"the SiteInvitation CRD is being deleted (an uninstall), not this object: pending invites are kept")
		return ctrl.Result{}, r.ensureFinalizer(ctx, obj, false)
	}
	h, err := r.resolveProvider(ctx, obj)
	var ce *configError
	switch {
	case errors.As(err, &ce) && ce.Reason == invv1.ReasonProviderNotFound:
		r.Recorder.Eventf(obj, nil, "Warning", invv1.EventRevokeSkipped, "Delete", "%s; pending invites were not revoked", ce.Message)
		return ctrl.Result{}, r.ensureFinalizer(ctx, obj, false)
	case errors.As(err, &ce):
		return r.writeStatusAndRequeue(ctx, obj, obj.Status.DeepCopy(), conditionState{Stalled: true, Reason: ce.Reason,
			Message: ce.Message + "; deletion waits to revoke pending invites (set spec.removalPolicy to Keep to delete without revoking)"}, zeroTime)
	case err != nil:
		return ctrl.Result{}, err
	}
	p := &pass{obj: obj, st: obj.Status.DeepCopy(), h: h}
	gone := obj.Spec.DeepCopy()
	gone.Emails = nil
	for _, step := range []func(context.Context, *pass) (stepResult, error){
		r.settleInFlight,
		func(ctx context.Context, p *pass) (stepResult, error) { return r.revoke(ctx, p, gone) },
	} {
		res, err := step(ctx, p)
		if err != nil {
			return ctrl.Result{}, err
		}
		if res.halt {
			c := res.cond
			if c == nil {
				cs := p.conditions(r.now(), r.SendDeadline)
				c = &cs
			}
			return r.writeStatusAndRequeue(ctx, p.obj, p.st, *c, res.wake)
		}
	}
	logf.FromContext(ctx).Info("Revoked pending invites; removing the finalizer")
	return ctrl.Result{}, r.ensureFinalizer(ctx, p.obj, false)
}

// siteInvitationCRD is the CustomResourceDefinition whose deletion means the operator is being uninstalled.
const siteInvitationCRD = "siteinvitations." + "invitations.siteops.dev"

// crdDeleting reports whether the SiteInvitation CRD itself is being deleted, read past the cache (only its
// metadata; the operator never lists or watches CRDs).
func (r *SiteInvitationReconciler) crdDeleting(ctx context.Context) (bool, error) {
	crd := &metav1.PartialObjectMetadata{}
	crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
	if err := r.APIReader.Get(ctx, client.ObjectKey{Name: siteInvitationCRD}, crd); err != nil {
		if apierrors.IsNotFound(err) {
			return true, nil // already gone: the objects are going with it
		}
		return false, err
	}
	return !crd.DeletionTimestamp.IsZero(), nil
}
