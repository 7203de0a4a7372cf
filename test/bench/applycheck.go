package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/test/harness"
)

// goNamespace holds the copies the bench creates itself in the apply scenario.
const goNamespace = "load-go"

// runApplyCheck creates N objects with the real kubectl apply -f (in chunks, a few at a time) and the
// same N with the bench's own requests in another namespace, times both, and compares what was stored:
// the last-applied annotation and every managedFields entry (manager, operation, fields) must be the
// same, so that runs creating objects the bench's way measure what users' objects cost.
func runApplyCheck(c config) error {
	n := c.sizes[0]
	h, ctx, stop, err := start(c, n, harness.Options{})
	if err != nil {
		return err
	}
	defer stop()
	if err := h.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: goNamespace}}); err != nil {
		return err
	}
	objs := objects(h, c, 0, n, nil)
	begin := time.Now()
	if err := kubectlCreate(ctx, h, objs); err != nil {
		return err
	}
	kubectlSecs := time.Since(begin).Seconds()
	copies := objects(h, c, 0, n, nil)
	for _, o := range copies {
		o.Namespace = goNamespace
	}
	begin = time.Now()
	if err := create(ctx, h, createGo, copies); err != nil {
		return err
	}
	goSecs := time.Since(begin).Seconds()

	stored := func(ns string) (map[string]unstructured.Unstructured, error) {
		var list unstructured.UnstructuredList
		list.SetGroupVersionKind(invv1.GroupVersion.WithKind("SiteInvitationList"))
		if err := h.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return nil, err
		}
		out := map[string]unstructured.Unstructured{}
		for _, u := range list.Items {
			out[u.GetName()] = u
		}
		return out, nil
	}
	byKubectl, err := stored(harness.Namespace)
	if err != nil {
		return err
	}
	byBench, err := stored(goNamespace)
	if err != nil {
		return err
	}
	var differ []string
	var size, annotation, managed sizeSum
	for name, k := range byKubectl {
		b, ok := byBench[name]
		if !ok {
			differ = append(differ, name+": missing")
			continue
		}
		ka := k.GetAnnotations()[harness.LastAppliedAnnotation]
		ba := strings.ReplaceAll(b.GetAnnotations()[harness.LastAppliedAnnotation], `"`+goNamespace+`"`, `"`+harness.Namespace+`"`)
		if ka != ba {
			differ = append(differ, fmt.Sprintf("%s: last-applied\n  kubectl %q\n  bench   %q", name, ka, ba))
		}
		if km, bm := managedFieldsOf(k), managedFieldsOf(b); !reflect.DeepEqual(km, bm) {
			differ = append(differ, fmt.Sprintf("%s: managedFields\n  kubectl %v\n  bench   %v", name, km, bm))
		}
		all, _ := json.Marshal(k.Object)
		mf, _ := json.Marshal(k.GetManagedFields())
		size.add(len(all))
		annotation.add(len(ka))
		managed.add(len(mf))
	}
	fmt.Printf("\napply: %d objects (%d emails each), half client-side, half server-side apply\n", n, c.emails)
	fmt.Printf("real kubectl apply -f, %d objects a file, %d at once: %.1f s (%.0f objects/s; 10,000 would take about %.0f s)\n",
		kubectlChunk, kubectlParallel, kubectlSecs, float64(n)/kubectlSecs, 10000/(float64(n)/kubectlSecs))
	fmt.Printf("the bench's own requests, %d at once: %.1f s (%.0f objects/s)\n", createParallel, goSecs, float64(n)/goSecs)
	fmt.Printf("stored object: %.0f bytes on average as JSON, of which last-applied %.0f (client-side half: %.0f) and managedFields %.0f\n",
		size.mean(), annotation.mean(), annotation.meanNonZero(), managed.mean())
	if len(differ) > 0 {
		for _, d := range differ[:min(len(differ), 5)] {
			fmt.Println("DIFFERS", d)
		}
		fmt.Printf("%d of %d objects differ from what kubectl stored\n", len(differ), n)
	} else {
		fmt.Printf("every one of the %d objects carries exactly what kubectl's copy carries (annotation and managedFields)\n", n)
	}
	err = writeResults(c, map[string]any{keyObjects: n, "kubectlSeconds": kubectlSecs, "benchSeconds": goSecs, "differing": len(differ),
		"kubectlChunk": kubectlChunk, "kubectlParallel": kubectlParallel, "meanObjectBytes": size.mean(),
		"meanLastAppliedBytes": annotation.meanNonZero(), "meanManagedFieldsBytes": managed.mean()})
	if err == nil && len(differ) > 0 {
		err = fmt.Errorf("%d objects differ from kubectl's", len(differ))
	}
	return err
}

// managedField is the part of a managedFields entry that does not depend on when it was written.
type managedField struct {
	Manager, Operation, APIVersion, Subresource, Fields string
}

func managedFieldsOf(u unstructured.Unstructured) []managedField {
	out := make([]managedField, 0, len(u.GetManagedFields()))
	for _, m := range u.GetManagedFields() {
		f := ""
		if m.FieldsV1 != nil {
			f = m.FieldsV1.GetRawString()
		}
		out = append(out, managedField{m.Manager, string(m.Operation), m.APIVersion, m.Subresource, f})
	}
	return out
}

type sizeSum struct{ n, nonZero, total int }

func (s *sizeSum) add(v int) {
	s.n++
	s.total += v
	if v > 0 {
		s.nonZero++
	}
}

func (s sizeSum) mean() float64 { return float64(s.total) / float64(max(s.n, 1)) }

func (s sizeSum) meanNonZero() float64 { return float64(s.total) / float64(max(s.nonZero, 1)) }
