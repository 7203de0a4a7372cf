package controller

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
)

// wantsFinalizer says whether deleting the object could leave something to revoke: only under
// removalPolicy Revoke, and only while an invite is pending, in flight, or about to be sent. Without a
// finalizer, deletion never waits for a provider.
func wantsFinalizer(obj *invv1.SiteInvitation, now time.Time) bool {
	if obj.Spec.RemovalPolicy != invv1.RemovalPolicyRevoke {
		return false
	}
	if hasRevocable(&obj.Status) {
		return true
	}
	plan := ledger.Compute(ledger.PlanInput{Spec: &obj.Spec, Generation: obj.Generation, Status: &obj.Status, Now: now})
	return len(plan.Send) > 0
}

// hasRevocable says whether the status holds an invite that may be pending at the provider.
func hasRevocable(st *invv1.SiteInvitationStatus) bool {
	if st.InFlight != nil {
		return true
	}
	for _, s := range st.Sent {
		if s.State == invv1.InvitationPending {
			return true
		}
	}
	return false
}

// ensureFinalizer adds or removes the finalizer with a patch under optimistic locking: a finalizer
// decided from a status that changed meanwhile conflicts instead of overwriting. It is the only metadata
// the reconciler writes; obj holds the server's answer afterwards.
func (r *SiteInvitationReconciler) ensureFinalizer(ctx context.Context, obj *invv1.SiteInvitation, want bool) error {
	if controllerutil.ContainsFinalizer(obj, invv1.FinalizerName) == want {
		return nil
	}
	patch := client.MergeFromWithOptions(obj.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if want {
		controllerutil.AddFinalizer(obj, invv1.FinalizerName)
	} else {
		controllerutil.RemoveFinalizer(obj, invv1.FinalizerName)
	}
	return r.Patch(ctx, obj, patch)
}
