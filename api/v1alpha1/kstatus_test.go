package v1alpha1_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestNewObjectsReadAsInProgress: before the operator writes any status, Flux's health check (kstatus)
// must not see a new object as Current. The CRD defaults status.observedGeneration to 0 on read, which
// kstatus compares with metadata.generation.
func TestNewObjectsReadAsInProgress(t *testing.T) {
	for _, base := range []string{wordpressInvitation, namespacedProvider, clusterProvider} {
		g := NewWithT(t)
		u := object(t, base)
		g.Expect(create(context.Background(), u)).To(Succeed())
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(u.GroupVersionKind())
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(u), got)).To(Succeed())
		res, err := status.Compute(got)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(Equal(status.InProgressStatus), "%s: %s", u.GetKind(), res.Message)
	}
}
