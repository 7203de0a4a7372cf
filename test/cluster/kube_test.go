package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cluster is the node as the tests see it: kubectl and helm pointed at it, and the sandbox around it.
type cluster struct {
	env  map[string]string
	root string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	path := os.Getenv("CLUSTER_ENV")
	if path == "" {
		t.Skip("CLUSTER_ENV is not set: these tests run inside the real node; run make e2e-cluster")
	}
	env, err := loadEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{env: env, root: env["REPO_ROOT"]}
}

// path is a file of the repository.
func (c *cluster) path(rel string) string { return filepath.Join(c.root, rel) }

// command runs name with args (and stdin) for at most timeout, returning combined output.
func command(timeout time.Duration, stdin string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (c *cluster) tryKubectl(args ...string) (string, error) {
	return command(3*time.Minute, "", "kubectl", append([]string{"--kubeconfig", c.env["KUBECONFIG"]}, args...)...)
}

func (c *cluster) kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := c.tryKubectl(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// apply server-side applies a YAML document, as a user would with kubectl apply --server-side -f -.
func (c *cluster) apply(t *testing.T, manifest string) {
	t.Helper()
	out, err := command(time.Minute, manifest, "kubectl", "--kubeconfig", c.env["KUBECONFIG"], "apply", "--server-side", "-f", "-")
	if err != nil {
		t.Fatalf("kubectl apply: %v\n%s\n%s", err, out, manifest)
	}
}

func (c *cluster) tryHelm(args ...string) (string, error) {
	return command(5*time.Minute, "", c.env["HELM"], append([]string{"--kubeconfig", c.env["KUBECONFIG"]}, args...)...)
}

func (c *cluster) helm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := c.tryHelm(args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// getJSON decodes `kubectl get ... -o json` into v; false when the object does not exist.
func (c *cluster) getJSON(t *testing.T, v any, args ...string) bool {
	t.Helper()
	out, err := command(time.Minute, "", "kubectl", append([]string{"--kubeconfig", c.env["KUBECONFIG"], "get", "-o", "json"}, args...)...)
	if err != nil {
		if strings.Contains(out, "NotFound") || strings.Contains(out, "not found") {
			return false
		}
		t.Fatalf("kubectl get %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("kubectl get %s: %v", strings.Join(args, " "), err)
	}
	return true
}

// eventually polls cond every second until it holds, failing the test after timeout with cond's last word.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, detail := cond()
		if ok {
			return
		}
		last = detail
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, last)
		}
		time.Sleep(time.Second)
	}
}

// namespace creates (or updates) a namespace with labels.
func (c *cluster) namespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    e2e: %q\n", name, name)
	for k, v := range labels {
		fmt.Fprintf(&b, "    %s: %q\n", k, v)
	}
	c.apply(t, b.String())
}

// restricted are the labels that make the API server enforce the restricted Pod Security Standard.
var restricted = map[string]string{
	"pod-security.kubernetes.io/enforce":         "restricted",
	"pod-security.kubernetes.io/enforce-version": "latest",
}

// secret creates (or replaces) a Secret with one key.
func (c *cluster) secret(t *testing.T, ns, name, key, value string) {
	t.Helper()
	c.apply(t, fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: %s}\nstringData:\n  %s: %q\n", name, ns, key, value))
}

// gone waits until kubectl get finds nothing for args (a namespace, CRDs, ...), reporting what remains.
func (c *cluster) gone(t *testing.T, timeout time.Duration, what string, args ...string) {
	t.Helper()
	eventually(t, timeout, what+" to be gone", func() (bool, string) {
		out, err := c.tryKubectl(append([]string{"get", "--ignore-not-found", "-o", "name"}, args...)...)
		if err != nil {
			return false, out
		}
		return strings.TrimSpace(out) == "", "still there: " + strings.TrimSpace(out)
	})
}

// deploymentAvailable waits for a Deployment of the release namespace to have every replica updated and Available.
func (c *cluster) deploymentAvailable(t *testing.T, name string, replicas int, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, "Deployment "+name+" to be Available", func() (bool, string) {
		var d struct {
			Metadata struct {
				Generation int64 `json:"generation"`
			} `json:"metadata"`
			Status struct {
				ObservedGeneration int64       `json:"observedGeneration"`
				Replicas           int         `json:"replicas"`
				UpdatedReplicas    int         `json:"updatedReplicas"`
				AvailableReplicas  int         `json:"availableReplicas"`
				Conditions         []condition `json:"conditions"`
			} `json:"status"`
		}
		if !c.getJSON(t, &d, "deployment", "-n", releaseNS, name) {
			return false, "not found"
		}
		s := d.Status
		ok := s.ObservedGeneration == d.Metadata.Generation && s.Replicas == replicas && s.UpdatedReplicas == replicas &&
			s.AvailableReplicas == replicas && conditionTrue(s.Conditions, "Available")
		return ok, fmt.Sprintf("%+v", s)
	})
}

// managerPods lists the names of the manager's Pods that are not being deleted.
func (c *cluster) managerPods(t *testing.T) []string {
	t.Helper()
	var list struct {
		Items []struct {
			Metadata struct {
				Name              string  `json:"name"`
				DeletionTimestamp *string `json:"deletionTimestamp"`
			} `json:"metadata"`
		} `json:"items"`
	}
	c.getJSON(t, &list, "pods", "-n", releaseNS, "-l", "control-plane=controller-manager")
	var names []string
	for _, p := range list.Items {
		if p.Metadata.DeletionTimestamp == nil {
			names = append(names, p.Metadata.Name)
		}
	}
	return names
}

// leader returns the Pod holding the leader Lease (controller-runtime names it <pod>_<uuid>).
func (c *cluster) leader(t *testing.T) string {
	t.Helper()
	var lease struct {
		Spec struct {
			HolderIdentity string `json:"holderIdentity"`
		} `json:"spec"`
	}
	if !c.getJSON(t, &lease, "lease", "-n", releaseNS, leaseName) {
		return ""
	}
	pod, _, _ := strings.Cut(lease.Spec.HolderIdentity, "_")
	return pod
}

// podGone reports whether a Pod no longer exists.
func (c *cluster) podGone(t *testing.T, name string) bool {
	t.Helper()
	var p struct{}
	return !c.getJSON(t, &p, "pod", "-n", releaseNS, name)
}
