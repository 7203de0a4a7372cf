package install

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// checkPDB: with standby replicas a PodDisruptionBudget keeps a node drain from taking them all at once.
func checkPDB(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment) {
	t.Helper()
	pdbs := find(objs, "PodDisruptionBudget")
	if len(pdbs) != 1 {
		t.Fatalf("replicas > 1: want one PodDisruptionBudget, got %d", len(pdbs))
	}
	pdb := convert[policyv1.PodDisruptionBudget](t, pdbs[0])
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Errorf("PodDisruptionBudget minAvailable %v, want 1", pdb.Spec.MinAvailable)
	}
	if !reflect.DeepEqual(pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("PodDisruptionBudget selects %v, the Deployment's Pods are %v", pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels)
	}
}

// checkExtraCA: extra CA certificates are mounted read-only and added to Go's roots through SSL_CERT_DIR,
// beside the image's own bundle, and a changed inline CA rolls the Pods.
func checkExtraCA(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment) {
	t.Helper()
	c := d.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if len(c.VolumeMounts) != 1 || !c.VolumeMounts[0].ReadOnly {
		t.Fatalf("want one read-only mount of the CA certificates, got %+v", c.VolumeMounts)
	}
	dirs := strings.Split(env["SSL_CERT_DIR"], ":")
	if len(dirs) != 2 || dirs[0] != "/etc/ssl/certs" || dirs[1] != c.VolumeMounts[0].MountPath {
		t.Errorf("SSL_CERT_DIR=%q must keep /etc/ssl/certs and add %s", env["SSL_CERT_DIR"], c.VolumeMounts[0].MountPath)
	}
	cms := find(objs, "ConfigMap")
	if len(cms) != 1 || d.Spec.Template.Spec.Volumes[0].ConfigMap == nil || d.Spec.Template.Spec.Volumes[0].ConfigMap.Name != cms[0].GetName() {
		t.Fatalf("the inline CA must be a ConfigMap the Pod mounts")
	}
	if d.Spec.Template.Annotations["checksum/extra-ca-certificates"] == "" {
		t.Error("a changed inline CA must roll the Pods (checksum annotation)")
	}
}

// helmFails runs helm expecting an error and returns its output.
func helmFails(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, helm(t), args...)
	cmd.Dir = root(t)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("helm %v succeeded, want an error:\n%s", args, out)
	}
	return string(out)
}

// TestChartSchemaRejectsBadValues: values.schema.json turns a typo or a wrong type into an error that names
// the value, in `helm template` and `helm install` alike, before anything reaches the cluster.
func TestChartSchemaRejectsBadValues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name, values string
		want         []string
	}{
		{"a duration given as a number", "resyncPeriod: 10\n", []string{"/resyncPeriod", "want string"}},
		{"a duration without a unit", "sendDeadline: \"10\"\n", []string{"/sendDeadline", "does not match pattern"}},
		{"a misspelt value", "replica: 2\n", []string{"additional properties 'replica' not allowed"}},
		{"an unknown log level", "logLevel: verbose\n", []string{"/logLevel"}},
		{"two sources of CA certificates", "extraCACertificates: {configMap: a, secret: b}\n", []string{"/extraCACertificates"}},
		{"replicas without leader election", "replicas: 2\nleaderElection: {enabled: false}\n", []string{"replicas > 1 needs leaderElection.enabled=true"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			if err := os.WriteFile(f, []byte(c.values), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"template", "inv", "charts/invitation-operator", "-f", f},
				{"install", "inv", "charts/invitation-operator", "-f", f, "--dry-run=client", "--namespace", "invitation-system"},
			} {
				out := helmFails(t, args...)
				for _, w := range c.want {
					if !strings.Contains(out, w) {
						t.Errorf("helm %s: the message lacks %q:\n%s", args[0], w, out)
					}
				}
			}
		})
	}
}

// TestChartCRDsAreTheGeneratedOnesAndKept: the chart's CRDs are config/crd/bases unchanged but for Helm's
// labels and the keep policy (helm uninstall never deletes them, and with them every SiteInvitation), and
// crds.install=false leaves them out for a second release in the same cluster.
func TestChartCRDsAreTheGeneratedOnesAndKept(t *testing.T) {
	t.Parallel()
	objs := docs(t, run(t, helm(t), "template", "inv", "charts/invitation-operator"))
	crds := find(objs, "CustomResourceDefinition")
	if len(crds) != 3 {
		t.Fatalf("want 3 CRDs rendered, got %d", len(crds))
	}
	for _, crd := range crds {
		if crd.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("%s: lacks helm.sh/resource-policy: keep", crd.GetName())
		}
		b, err := os.ReadFile(filepath.Join(root(t), "config", "crd", "bases", "invitations.siteops.dev_"+strings.Split(crd.GetName(), ".")[0]+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if err := yaml.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(crd.Object["spec"], want["spec"]) {
			t.Errorf("%s: the chart's spec differs from config/crd/bases (run make manifests)", crd.GetName())
		}
	}
	if n := len(find(docs(t, run(t, helm(t), "template", "inv", "charts/invitation-operator", "--set", "crds.install=false")), "CustomResourceDefinition")); n != 0 {
		t.Errorf("crds.install=false still renders %d CRDs", n)
	}
}

// TestOneDeploymentNameForBothInstalls: the docs name one Deployment (logs, rollout status, port-forward);
// the chart installed as invitation-operator and config/default both create it in invitation-system.
func TestOneDeploymentNameForBothInstalls(t *testing.T) {
	t.Parallel()
	k := find(docs(t, run(t, "kubectl", "kustomize", "config/default")), "Deployment")
	h := find(docs(t, run(t, helm(t), "template", "invitation-operator", "charts/invitation-operator", "--namespace", "invitation-system")), "Deployment")
	if len(k) != 1 || len(h) != 1 {
		t.Fatal("want one Deployment from each install")
	}
	if k[0].GetName() != h[0].GetName() || k[0].GetNamespace() != h[0].GetNamespace() {
		t.Errorf("kustomize creates %s/%s, helm %s/%s", k[0].GetNamespace(), k[0].GetName(), h[0].GetNamespace(), h[0].GetName())
	}
	for _, doc := range []string{"README.md", "docs/troubleshooting.md", "docs/upgrading.md"} {
		b, err := os.ReadFile(filepath.Join(root(t), doc))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), k[0].GetName()) {
			t.Errorf("%s does not name the Deployment %s", doc, k[0].GetName())
		}
	}
}

// TestChartNotesShowASiteInvitation: after `helm install` the user sees how to write a SiteInvitation and
// how to check where each person stands.
func TestChartNotesShowASiteInvitation(t *testing.T) {
	t.Parallel()
	out := string(run(t, helm(t), "install", "invitation-operator", "charts/invitation-operator", "--dry-run=client",
		"--namespace", "invitation-system"))
	for _, want := range []string{"kind: SiteInvitation", "kubectl -n marketing wait --for=condition=Ready siteinvitation/blog-authors",
		"describe siteinvitation", "rollout status deployment/invitation-operator-controller-manager"} {
		if !strings.Contains(out, want) {
			t.Errorf("NOTES lack %q", want)
		}
	}
}

// TestKustomizeExtraCAComponent: config/extra-ca-certificates gives the kustomize install the chart's
// extraCACertificates: a ConfigMap of PEM files mounted read-only and named in SSL_CERT_DIR.
func TestKustomizeExtraCAComponent(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp(filepath.Join(root(t), "config"), ".test-extra-ca-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	overlay := `resources: [../default]
components: [../extra-ca-certificates]
configMapGenerator:
- name: extra-ca-certificates
  namespace: invitation-system
  files: [proxy-ca.pem]
`
	ca, err := os.ReadFile(filepath.Join(root(t), "charts", "invitation-operator", "ci", "extra-ca-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"kustomization.yaml": overlay, "proxy-ca.pem": string(ca)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	objs := docs(t, run(t, "kubectl", "kustomize", dir))
	d := convert[appsv1.Deployment](t, find(objs, "Deployment")[0])
	checkRestricted(t, d)
	c := d.Spec.Template.Spec.Containers[0]
	var certDir string
	for _, e := range c.Env {
		if e.Name == "SSL_CERT_DIR" {
			certDir = e.Value
		}
	}
	cms := find(objs, "ConfigMap")
	if len(cms) != 1 {
		t.Fatalf("want the generated ConfigMap, got %d ConfigMaps", len(cms))
	}
	vols := d.Spec.Template.Spec.Volumes
	if len(vols) != 1 || vols[0].ConfigMap == nil || vols[0].ConfigMap.Name != cms[0].GetName() {
		t.Fatalf("the Pod must mount the generated ConfigMap %s: %+v", cms[0].GetName(), vols)
	}
	if len(c.VolumeMounts) != 1 || !c.VolumeMounts[0].ReadOnly || certDir != "/etc/ssl/certs:"+c.VolumeMounts[0].MountPath {
		t.Errorf("mount %+v, SSL_CERT_DIR %q", c.VolumeMounts, certDir)
	}
}
