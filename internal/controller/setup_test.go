package controller

import (
	"encoding/json"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"

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

// TestCompactForCacheChangesNoValue: a decoded SiteInvitation compacted for the cache is semantically
// the same object, with lists cut to their length and the spec's strings shared.
func TestCompactForCacheChangesNoValue(t *testing.T) {
	t.Parallel()
	now := metav1.NewTime(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	orig := &invv1.SiteInvitation{Spec: invv1.SiteInvitationSpec{Roles: []string{"editor"}}}
	for i := range 20 {
		e := string(rune('a'+i)) + "@example.com"
		orig.Spec.Emails = append(orig.Spec.Emails, e)
		roles := []string{"editor"}
		if i == 3 {
			roles = []string{"author"}
		}
		orig.Status.Sent = append(orig.Status.Sent, invv1.SentInvitation{Email: e, Roles: roles, State: invv1.InvitationPending, SentAt: now})
	}
	orig.Status.Failed = []invv1.FailedInvitation{{Email: "b@example.com", Reason: "InvalidEmail"}}
	b, err := json.Marshal(orig) // decoded the way the informer decodes: by the JSON decoder, lists grown by doubling
	if err != nil {
		t.Fatal(err)
	}
	var decoded invv1.SiteInvitation
	if err := kjson.UnmarshalCaseSensitivePreserveInts(b, &decoded); err != nil {
		t.Fatal(err)
	}
	if cap(decoded.Status.Sent) == len(decoded.Status.Sent) {
		t.Fatalf("the decoder left no spare room (cap %d); the test no longer shows the compaction", cap(decoded.Status.Sent))
	}
	if _, err := TrimForCache(&decoded); err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(orig.Spec, decoded.Spec) || !equality.Semantic.DeepEqual(orig.Status, decoded.Status) {
		t.Fatalf("compaction changed the object:\n%+v\n%+v", orig.Status, decoded.Status)
	}
	if cap(decoded.Status.Sent) != len(decoded.Status.Sent) || cap(decoded.Spec.Emails) != len(decoded.Spec.Emails) {
		t.Fatalf("lists not cut to length: sent %d/%d, emails %d/%d", len(decoded.Status.Sent), cap(decoded.Status.Sent),
			len(decoded.Spec.Emails), cap(decoded.Spec.Emails))
	}
	if got := cloneTight(make([]string, 0, 4)); got == nil {
		t.Fatal("an empty list became nil")
	}
	if &decoded.Status.Sent[0].Roles[0] != &decoded.Spec.Roles[0] || &decoded.Status.Sent[3].Roles[0] == &decoded.Spec.Roles[0] {
		t.Fatal("roles equal to the spec's are not shared, or other roles are")
	}
}
