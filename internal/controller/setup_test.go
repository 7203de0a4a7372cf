package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// TestTrimForCacheKeepsWhatTheReconcilerReads: the cache drops managedFields and kubectl's copy of the
// object, and keeps every other annotation (the retry and resend requests live there).
func TestTrimForCacheKeepsWhatTheReconcilerReads(t *testing.T) {
	t.Parallel()
	obj := &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{
		Annotations:   map[string]string{lastAppliedAnnotation: `{"spec":{"emails":["…"]}}`, invv1.RetryAnnotation: "t1", invv1.ResendAnnotation: "t2"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}, Finalizers: []string{invv1.FinalizerName}}}
	if _, err := TrimForCache(obj); err != nil {
		t.Fatal(err)
	}
	if len(obj.ManagedFields) != 0 || obj.Annotations[lastAppliedAnnotation] != "" {
		t.Fatalf("kept what no reconciler reads: %+v", obj.ObjectMeta)
	}
	if obj.Annotations[invv1.RetryAnnotation] != "t1" || obj.Annotations[invv1.ResendAnnotation] != "t2" || len(obj.Finalizers) != 1 {
		t.Fatalf("dropped what the reconciler reads: %+v", obj.ObjectMeta)
	}
	only := &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{lastAppliedAnnotation: "{}"}}}
	if _, err := TrimForCache(only); err != nil || only.Annotations != nil {
		t.Fatalf("annotations %v, err %v", only.Annotations, err)
	}
	if got, err := TrimForCache("not an object"); err != nil || got != "not an object" {
		t.Fatalf("a non-object is passed through: %v %v", got, err)
	}
}
