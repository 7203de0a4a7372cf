package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// How users create objects, and what each leaves on the stored object: client-side apply
// (`kubectl apply`) the last-applied-configuration annotation repeating the whole manifest, and
// managedFields for kubectl-client-side-apply; server-side apply (`kubectl apply --server-side`)
// managedFields for kubectl. The operator's cache holds whatever users' objects carry, so runs that
// measure its memory create their objects the same ways.
const (
	// LastAppliedAnnotation is where client-side apply keeps the manifest it applied.
	LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
	// ClientSideApplyManager is the field manager of `kubectl apply`.
	ClientSideApplyManager = "kubectl-client-side-apply"
	// ServerSideApplyManager is the field manager of `kubectl apply --server-side`.
	ServerSideApplyManager = "kubectl"
)

// ApplyMode is one way a user creates an object.
type ApplyMode string

// The two ways `kubectl apply` creates an object.
const (
	ClientSideApply ApplyMode = "client-side"
	ServerSideApply ApplyMode = "server-side"
)

// ModeOf is the mode object i of a run is created with: half client-side apply, half server-side apply,
// alternating in pairs so that each provider type gets both.
func ModeOf(i int) ApplyMode {
	if (i/2)%2 == 0 {
		return ClientSideApply
	}
	return ServerSideApply
}

// Manifest is obj as a user writes it in a YAML file: apiVersion, kind, the name, namespace and labels,
// and the spec; nothing the server fills in.
func Manifest(obj *invv1.SiteInvitation) (map[string]any, error) {
	spec, err := json.Marshal(obj.Spec)
	if err != nil {
		return nil, err
	}
	var s map[string]any
	if err := json.Unmarshal(spec, &s); err != nil {
		return nil, err
	}
	meta := map[string]any{"name": obj.Name, "namespace": obj.Namespace}
	if len(obj.Labels) > 0 {
		labels := map[string]any{}
		for k, v := range obj.Labels {
			labels[k] = v
		}
		meta["labels"] = labels
	}
	return map[string]any{"apiVersion": invv1.GroupVersion.String(), "kind": "SiteInvitation", "metadata": meta, "spec": s}, nil
}

// Apply creates obj with exactly the requests `kubectl apply` makes for an object that does not exist
// yet. Client-side: a GET (not found), then a POST of the manifest with the last-applied annotation (the
// manifest's JSON and a newline, as kubectl writes it) as field manager kubectl-client-side-apply.
// Server-side: one apply PATCH of the manifest as field manager kubectl with force (--force-conflicts).
// Both with strict field validation, kubectl's default. obj is then filled with the stored object, as
// Create fills its argument.
func (h *Harness) Apply(ctx context.Context, obj *invv1.SiteInvitation, mode ApplyMode) error {
	u, err := h.apply(ctx, obj, mode)
	if err != nil {
		return err
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj)
}

func (h *Harness) apply(ctx context.Context, obj *invv1.SiteInvitation, mode ApplyMode) (*unstructured.Unstructured, error) {
	m, err := Manifest(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	switch mode {
	case ClientSideApply:
		var existing unstructured.Unstructured
		existing.SetGroupVersionKind(u.GroupVersionKind())
		switch err := h.Client.Get(ctx, client.ObjectKeyFromObject(u), &existing); {
		case err == nil:
			return nil, fmt.Errorf("apply %s: the object exists already; this harness only creates", obj.Name)
		case !apierrors.IsNotFound(err):
			return nil, err
		}
		// kubectl records the manifest with the annotation taken out again, which leaves an empty
		// annotations map in it, and its encoder ends the JSON with a newline.
		recorded, err := Manifest(obj)
		if err != nil {
			return nil, err
		}
		recorded["metadata"].(map[string]any)["annotations"] = map[string]any{}
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(recorded); err != nil {
			return nil, err
		}
		u.SetAnnotations(map[string]string{LastAppliedAnnotation: buf.String()})
		return u, h.Client.Create(ctx, u, client.FieldOwner(ClientSideApplyManager), client.FieldValidation("Strict"))
	case ServerSideApply:
		body, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		return u, h.Client.Patch(ctx, u, client.RawPatch(types.ApplyPatchType, body), client.FieldOwner(ServerSideApplyManager),
			client.ForceOwnership, client.FieldValidation("Strict"))
	}
	return nil, fmt.Errorf("unknown apply mode %q", mode)
}

// KubectlApply runs the real `kubectl apply -f` on one multi-document file holding objs, all in one mode,
// with the harness's kubeconfig; kubectl is found on PATH.
func (h *Harness) KubectlApply(ctx context.Context, objs []*invv1.SiteInvitation, mode ApplyMode) error {
	var doc bytes.Buffer
	for _, obj := range objs {
		m, err := Manifest(obj)
		if err != nil {
			return err
		}
		y, err := yaml.Marshal(m)
		if err != nil {
			return err
		}
		doc.WriteString("---\n")
		doc.Write(y)
	}
	f, err := os.CreateTemp(h.Dir, "apply-*.yaml")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(f.Name()) }()
	if _, err := f.Write(doc.Bytes()); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	args := []string{"apply", "--kubeconfig", h.Kubeconfig, "-o", "name", "-f", filepath.Clean(f.Name())}
	if mode == ServerSideApply {
		args = append(args, "--server-side", "--force-conflicts")
	}
	cmd := exec.CommandContext(ctx, "kubectl", args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kubectl apply (%s, %d objects): %w: %s", mode, len(objs), err, stderr.String())
	}
	return nil
}
