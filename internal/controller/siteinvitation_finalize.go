package controller

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// finalize applies removalPolicy on deletion. The finalizer exists only while there is something to
// revoke, so with Keep (or nothing pending) deletion never waits for the provider. With Revoke, pending
// invites are revoked first; if the provider object itself is gone there is nothing to revoke with, and
// deletion proceeds with a Warning event.
func (r *SiteInvitationReconciler) finalize(ctx context.Context, obj *invv1.SiteInvitation) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, FinalizerName) {
		return ctrl.Result{}, nil
	}
	log := logf.FromContext(ctx)
	p := &pass{obj: obj, st: obj.Status.DeepCopy()}
	if obj.Spec.RemovalPolicy != invv1.RemovalPolicyRevoke {
		return ctrl.Result{}, r.ensureFinalizer(ctx, p, false)
	}
	h, err := r.resolveProvider(ctx, obj)
	if err != nil {
		ce, ok := err.(*configError)
		if !ok {
			return ctrl.Result{}, err
		}
		if ce.Reason == ReasonProviderNotFound {
			r.Recorder.Eventf(obj, nil, "Warning", "RevokeSkipped", "Delete", "%s; pending invites were not revoked", ce.Message)
			return ctrl.Result{}, r.ensureFinalizer(ctx, p, false)
		}
		return r.finish(ctx, obj, p.st, conditionState{Stalled: true, Reason: ce.Reason,
			Message: ce.Message + "; deletion waits to revoke pending invites (set spec.removalPolicy to Keep to delete without revoking)"}, 0)
	}
	p.h = h
	gone := obj.Spec.DeepCopy()
	gone.Emails = nil
	steps := []func(context.Context, *pass) error{
		r.settleInFlight,
		func(ctx context.Context, p *pass) error { return r.revoke(ctx, p, gone) },
	}
	for _, step := range steps {
		if err := step(ctx, p); err != nil {
			if err == errStop {
				return r.finish(ctx, p.obj, p.st, p.cause, untilOrZero(p.wake, r.now()))
			}
			return ctrl.Result{}, err
		}
	}
	log.Info("Revoked pending invites; removing the finalizer")
	if err := r.writeStatus(ctx, p, conditionState{Reconciling: true, Reason: ReasonRevoking, Message: "deleting"}); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.ensureFinalizer(ctx, p, false)
}
