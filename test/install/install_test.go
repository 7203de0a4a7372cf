// Package install checks the ways users install the operator — kustomize (config/default,
// dist/install.yaml), the Helm chart and the container image — with the real tools: kubectl kustomize,
// helm lint/template, and a server-side apply to the test API server.
package install

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/siteops/invitation-operator/internal/testenv"
)

func root(t *testing.T) string {
	t.Helper()
	r, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = root(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return out
}

// helm returns the pinned helm binary `make test` installs (HELM), or the one in bin/.
func helm(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	matches, _ := filepath.Glob(filepath.Join(root(t), "bin", "helm-*"))
	if len(matches) == 0 {
		t.Fatal("helm is not installed: run `make helm` (make test does)")
	}
	return matches[len(matches)-1]
}

// docs splits a multi-document YAML stream into objects.
func docs(t *testing.T, b []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatal(err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

func find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func convert[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	b, err := u.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := yaml.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// checkRestricted fails unless the pod passes the restricted Pod Security Standard.
func checkRestricted(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
		pod.SecurityContext.SeccompProfile == nil || pod.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod must run as non-root with the RuntimeDefault seccomp profile: %+v", d.Name, pod.SecurityContext)
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Errorf("%s: no host namespaces expected", d.Name)
	}
	// The restricted standard allows ConfigMap and Secret volumes (extra CA certificates); nothing else is expected.
	for _, v := range pod.Volumes {
		if v.ConfigMap == nil && v.Secret == nil {
			t.Errorf("%s: volume %s is neither a ConfigMap nor a Secret", d.Name, v.Name)
		}
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil ||
			!*sc.ReadOnlyRootFilesystem || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
			len(sc.Capabilities.Add) > 0 || (sc.Privileged != nil && *sc.Privileged) {
			t.Errorf("%s/%s: container security context is not restricted: %+v", d.Name, c.Name, sc)
		}
		if c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
			t.Errorf("%s/%s: resources must be set", d.Name, c.Name)
		}
		if c.LivenessProbe == nil || c.ReadinessProbe == nil {
			t.Errorf("%s/%s: probes must be set", d.Name, c.Name)
		}
	}
}

// checkShutdownAndMemory fails unless the kubelet waits for a running send to finish on SIGTERM (the
// manager's graceful shutdown is --send-deadline + 10s) and the Go runtime knows the memory limit.
func checkShutdownAndMemory(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	deadline := 2 * time.Minute
	for _, a := range pod.Containers[0].Args {
		if v, ok := strings.CutPrefix(a, "--send-deadline="); ok {
			var err error
			if deadline, err = time.ParseDuration(v); err != nil {
				t.Fatalf("%s: %s: %v", d.Name, a, err)
			}
		}
	}
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if pod.TerminationGracePeriodSeconds != nil {
		grace = *pod.TerminationGracePeriodSeconds
	}
	if time.Duration(grace)*time.Second < deadline+10*time.Second {
		t.Errorf("%s: terminationGracePeriodSeconds %d is shorter than the manager's shutdown (%s)", d.Name, grace, deadline+10*time.Second)
	}
	memlimit := false
	for _, e := range pod.Containers[0].Env {
		memlimit = memlimit || (e.Name == "GOMEMLIMIT" && e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil &&
			e.ValueFrom.ResourceFieldRef.Resource == "limits.memory")
	}
	if !memlimit {
		t.Errorf("%s: GOMEMLIMIT must come from limits.memory", d.Name)
	}
}

// checkLeastPrivilege fails on wildcards and on any Secret access beyond get.
func checkLeastPrivilege(t *testing.T, rules []rbacv1.PolicyRule) {
	t.Helper()
	for _, r := range rules {
		for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.NonResourceURLs} {
			if slices.Contains(list, "*") {
				t.Errorf("wildcard in rule %+v", r)
			}
		}
		if slices.Contains(r.Resources, "secrets") && !slices.Equal(r.Verbs, []string{"get"}) {
			t.Errorf("secrets may only be read one at a time (get): %+v", r)
		}
	}
}

// ruleSet normalises rules for comparison: one string per (group, resource, verb).
func ruleSet(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, g+"/"+res+":"+v)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func managerRole(t *testing.T, objs []*unstructured.Unstructured) *rbacv1.ClusterRole {
	t.Helper()
	for _, o := range find(objs, "ClusterRole") {
		if strings.HasSuffix(o.GetName(), "manager-role") || strings.HasSuffix(o.GetName(), "-manager") {
			return convert[rbacv1.ClusterRole](t, o)
		}
	}
	t.Fatal("no manager ClusterRole rendered")
	return nil
}

func TestKustomizeDefaultIsRestrictedAndLeastPrivilege(t *testing.T) {
	t.Parallel()
	objs := docs(t, run(t, "kubectl", "kustomize", "config/default"))
	deps := find(objs, "Deployment")
	if len(deps) != 1 {
		t.Fatalf("want one Deployment, got %d", len(deps))
	}
	d := convert[appsv1.Deployment](t, deps[0])
	checkRestricted(t, d)
	checkShutdownAndMemory(t, d)
	if args := strings.Join(d.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(args, "--leader-elect") ||
		!strings.Contains(args, "--metrics-bind-address=:8443") {
		t.Errorf("manager args: %s", args)
	}
	for _, o := range find(objs, "ClusterRole") {
		checkLeastPrivilege(t, convert[rbacv1.ClusterRole](t, o).Rules)
	}
	for _, o := range find(objs, "Namespace") {
		if o.GetLabels()["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("namespace %s does not enforce the restricted standard", o.GetName())
		}
	}
	for _, kind := range []string{"CustomResourceDefinition", "ServiceAccount", "Role", "RoleBinding", "ClusterRoleBinding", "Service"} {
		if len(find(objs, kind)) == 0 {
			t.Errorf("config/default renders no %s", kind)
		}
	}
}

func TestKustomizeComponentsRender(t *testing.T) {
	t.Parallel()
	for component, kind := range map[string]string{"prometheus": "ServiceMonitor", "network-policy": "NetworkPolicy",
		"prometheus-rules": "PrometheusRule", "grafana": "ConfigMap"} {
		// Enable the component the way the docs say: uncomment it in config/default. The copy lives beside
		// config/default so its relative paths still resolve.
		dir, err := os.MkdirTemp(filepath.Join(root(t), "config"), ".test-default-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		b, err := os.ReadFile(filepath.Join(root(t), "config", "default", "kustomization.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		k := strings.ReplaceAll(string(b), "#components:", "components:")
		k = strings.ReplaceAll(k, "#- ../"+component, "- ../"+component)
		if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"metrics_service.yaml"} {
			src, _ := os.ReadFile(filepath.Join(root(t), "config", "default", f))
			if err := os.WriteFile(filepath.Join(dir, f), src, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		objs := docs(t, run(t, "kubectl", "kustomize", dir))
		if got := find(objs, kind); len(got) != 1 || got[0].GetNamespace() != "invitation-system" {
			t.Errorf("component %s: want one %s in invitation-system, got %d", component, kind, len(got))
		}
	}
}

func TestHelmChartLintsAndRendersEachValuesFile(t *testing.T) {
	t.Parallel()
	h := helm(t)
	run(t, h, "lint", "charts/invitation-operator", "--strict")
	files, _ := filepath.Glob(filepath.Join(root(t), "charts", "invitation-operator", "ci", "*.yaml"))
	cases := map[string]func(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment){
		"": func(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment) {
			if *d.Spec.Replicas != 1 || len(find(objs, "ServiceMonitor"))+len(find(objs, "NetworkPolicy"))+len(find(objs, "PodDisruptionBudget"))+
				len(find(objs, "PrometheusRule"))+len(find(objs, "ConfigMap")) != 0 {
				t.Error("defaults: one replica, no ServiceMonitor, NetworkPolicy, PodDisruptionBudget, PrometheusRule or dashboard")
			}
			if len(d.Spec.Template.Spec.Volumes) != 0 {
				t.Error("defaults: no volumes")
			}
			if strings.Contains(strings.Join(d.Spec.Template.Spec.Containers[0].Args, " "), "--metrics-per-object-conditions") {
				t.Error("defaults: the per-object condition gauge is opt-in")
			}
		},
		"observability-values.yaml": checkObservability,
		"ha-values.yaml": func(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment) {
			if *d.Spec.Replicas != 2 || len(find(objs, "ServiceMonitor")) != 1 || len(find(objs, "NetworkPolicy")) != 1 || len(find(objs, "Role")) != 1 {
				t.Error("ha: two replicas, leader election Role, ServiceMonitor and NetworkPolicy")
			}
			checkPDB(t, objs, d)
			if sm := find(objs, "ServiceMonitor"); len(sm) == 1 && sm[0].GetLabels()["release"] != "kube-prometheus-stack" {
				t.Errorf("ha: the ServiceMonitor lacks the release label kube-prometheus-stack selects by: %v", sm[0].GetLabels())
			}
		},
		"extra-ca-values.yaml": func(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment) {
			checkExtraCA(t, objs, d)
		},
		"sharded-values.yaml": func(t *testing.T, _ []*unstructured.Unstructured, d *appsv1.Deployment) {
			args := strings.Join(d.Spec.Template.Spec.Containers[0].Args, " ")
			for _, want := range []string{"--watch-label-selector=sharding.siteops.dev/key=shard1", "--resync-period=5m", "--concurrency=8",
				"--zap-log-level=debug", "--zap-encoder=console", "--provider-timeout=20s"} {
				if !strings.Contains(args, want) {
					t.Errorf("sharded: args %q lack %s", args, want)
				}
			}
		},
		"minimal-values.yaml": func(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment) {
			args := strings.Join(d.Spec.Template.Spec.Containers[0].Args, " ")
			if !strings.Contains(args, "--leader-elect=false") || !strings.Contains(args, "--metrics-bind-address=0") ||
				len(find(objs, "Service"))+len(find(objs, "Role")) != 0 {
				t.Errorf("minimal: no metrics Service and no leader election: %s", args)
			}
		},
	}
	if len(files) != len(cases)-1 {
		t.Fatalf("every values file in ci/ needs a case: %v", files)
	}
	for values, check := range cases {
		args := []string{"template", "inv", "charts/invitation-operator", "--namespace", "invitation-system", "--include-crds"}
		if values != "" {
			args = append(args, "--values", filepath.Join("charts", "invitation-operator", "ci", values))
		}
		objs := docs(t, run(t, h, args...))
		deps := find(objs, "Deployment")
		if len(deps) != 1 {
			t.Fatalf("%s: want one Deployment", values)
		}
		d := convert[appsv1.Deployment](t, deps[0])
		checkRestricted(t, d)
		checkShutdownAndMemory(t, d)
		for _, o := range find(objs, "ClusterRole") {
			checkLeastPrivilege(t, convert[rbacv1.ClusterRole](t, o).Rules)
		}
		if len(find(objs, "CustomResourceDefinition")) != 3 {
			t.Errorf("%s: the chart must carry the three CRDs", values)
		}
		check(t, objs, d)
	}
}

// checkObservability: the chart's alerts and dashboard are the kustomize components' own, the
// ServiceMonitor keeps the metrics' namespace label, and the per-object gauge is switched on.
func checkObservability(t *testing.T, objs []*unstructured.Unstructured, d *appsv1.Deployment) {
	t.Helper()
	if !strings.Contains(strings.Join(d.Spec.Template.Spec.Containers[0].Args, " "), "--metrics-per-object-conditions") {
		t.Error("observability: metrics.perObjectConditions does not reach the manager")
	}
	rules := find(objs, "PrometheusRule")
	if len(rules) != 1 || rules[0].GetLabels()["release"] != "kube-prometheus-stack" {
		t.Fatalf("observability: want one PrometheusRule with the extra label, got %d", len(rules))
	}
	kustomized := docs(t, readFile(t, "config/prometheus-rules/prometheusrule.yaml"))[0]
	if !equality(rules[0].Object["spec"], kustomized.Object["spec"]) {
		t.Error("observability: the chart's alerts differ from config/prometheus-rules (run make manifests)")
	}
	cms := find(objs, "ConfigMap")
	if len(cms) != 1 || cms[0].GetLabels()["grafana_dashboard"] != "1" || cms[0].GetNamespace() != "monitoring" {
		t.Fatalf("observability: want one dashboard ConfigMap labelled for the sidecar in monitoring, got %v", cms)
	}
	data, _, _ := unstructured.NestedString(cms[0].Object, "data", "invitation-operator.json")
	if strings.TrimSpace(data) != strings.TrimSpace(string(readFile(t, "config/grafana/dashboard.json"))) {
		t.Error("observability: the chart's dashboard differs from config/grafana/dashboard.json (run make manifests)")
	}
	for _, sm := range find(objs, "ServiceMonitor") {
		eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
		if len(eps) == 0 || eps[0].(map[string]any)["honorLabels"] != true {
			t.Error("observability: the ServiceMonitor must honor the metrics' namespace label")
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// equality compares two decoded YAML values.
func equality(a, b any) bool {
	ja, errA := yaml.Marshal(a)
	jb, errB := yaml.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// TestHelmAndKustomizeGrantTheSameRules: the chart and config/default give the manager the same
// permissions, so neither install can drift into needing (or granting) more.
func TestHelmAndKustomizeGrantTheSameRules(t *testing.T) {
	t.Parallel()
	k := managerRole(t, docs(t, run(t, "kubectl", "kustomize", "config/default")))
	h := managerRole(t, docs(t, run(t, helm(t), "template", "inv", "charts/invitation-operator")))
	if ks, hs := ruleSet(k.Rules), ruleSet(h.Rules); !slices.Equal(ks, hs) {
		t.Fatalf("rules differ:\nkustomize %v\nhelm      %v", ks, hs)
	}
	if len(k.Rules) == 0 {
		t.Fatal("no rules rendered")
	}
}

// TestInstallerAppliesToTheAPIServer: dist/install.yaml (make build-installer) is accepted by a real API
// server with server-side apply, as `kubectl apply --server-side -f dist/install.yaml` would do.
func TestInstallerAppliesToTheAPIServer(t *testing.T) {
	_, kc := testenv.StartForTest(t)
	installer := filepath.Join(t.TempDir(), "install.yaml")
	if err := os.WriteFile(installer, run(t, "kubectl", "kustomize", "config/default"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := string(run(t, "kubectl", "--kubeconfig", kc, "apply", "--server-side", "--force-conflicts", "-f", installer))
	for _, want := range []string{"namespace/invitation-system serverside-applied", "deployment.apps/invitation-operator-controller-manager serverside-applied",
		"clusterrole.rbac.authorization.k8s.io/invitation-operator-manager-role serverside-applied"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, out)
		}
	}
}

// TestDockerfileIsPinnedAndUnprivileged checks the Dockerfile statically; no image can be built here (no
// container engine), so this is what stands between a careless edit and a root or unpinned image.
func TestDockerfileIsPinnedAndUnprivileged(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(froms) < 2 {
		t.Fatal("want a multi-stage build")
	}
	for _, f := range froms {
		if !regexp.MustCompile(`:[a-z0-9.-]*[0-9][a-z0-9.-]*$|:nonroot$|@sha256:[0-9a-f]{64}$`).MatchString(f[1]) || strings.HasSuffix(f[1], ":latest") {
			t.Errorf("base image %s is not pinned to a version", f[1])
		}
	}
	if last := froms[len(froms)-1][1]; !strings.HasPrefix(last, "gcr.io/distroless/static") || !strings.Contains(last, "nonroot") {
		t.Errorf("runtime image %s is not distroless static nonroot", last)
	}
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(user) == 0 || strings.HasPrefix(user[len(user)-1][1], "0") || user[len(user)-1][1] == "root" {
		t.Errorf("the image must end with a non-root numeric USER, got %v", user)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath"} {
		if !strings.Contains(df, want) {
			t.Errorf("the build lacks %s", want)
		}
	}
	for _, line := range regexp.MustCompile(`(?m)^(COPY|ADD)\s.*$`).FindAllString(df, -1) {
		if strings.HasPrefix(line, "ADD") || regexp.MustCompile(`(?i)\.env|secret|\.key|\.pem|kubeconfig|bin/`).MatchString(line) {
			t.Errorf("suspicious copy: %s", line)
		}
	}
	if _, err := os.Stat(filepath.Join(root(t), ".dockerignore")); err != nil {
		t.Error("a .dockerignore keeps bin/ and local files out of the build context")
	}
}

// TestUserRolesGrantWhatTheDocsSay binds the shipped user roles directly (the test API server has no
// controller-manager to aggregate them into view and edit) and asks the real kubectl what each user may
// do: an edit user writes SiteInvitations but no provider, a view user only reads, an admin writes the
// namespace's InvitationProviders but never a ClusterInvitationProvider. Both installs ship the same rules.
func TestUserRolesGrantWhatTheDocsSay(t *testing.T) {
	k := find(docs(t, run(t, "kubectl", "kustomize", "config/default")), "ClusterRole")
	h := find(docs(t, run(t, helm(t), "template", "inv", "charts/invitation-operator")), "ClusterRole")
	byRole := func(objs []*unstructured.Unstructured, suffix string) *rbacv1.ClusterRole {
		for _, o := range objs {
			if strings.HasSuffix(o.GetName(), suffix) {
				return convert[rbacv1.ClusterRole](t, o)
			}
		}
		t.Fatalf("no ClusterRole ending in %s", suffix)
		return nil
	}
	for _, level := range []string{"view", "edit", "admin"} {
		kr, hr := byRole(k, "invitations-"+level), byRole(h, "invitations-"+level)
		if !slices.Equal(ruleSet(kr.Rules), ruleSet(hr.Rules)) || kr.Labels["rbac.authorization.k8s.io/aggregate-to-"+level] != "true" {
			t.Errorf("%s: kustomize and Helm differ, or the role is not aggregated: %v vs %v", level, kr.Rules, hr.Rules)
		}
	}

	_, kc := testenv.StartForTest(t)
	ctl := func(args ...string) string {
		out, _ := exec.Command("kubectl", append([]string{"--kubeconfig", kc}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	roles := make([]string, 0, 3)
	for _, level := range []string{"view", "edit", "admin"} {
		r := byRole(k, "invitations-"+level)
		r.ResourceVersion, r.UID = "", ""
		b, err := yaml.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		roles = append(roles, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"+string(b))
	}
	manifest := filepath.Join(t.TempDir(), "roles.yaml")
	if err := os.WriteFile(manifest, []byte(strings.Join(roles, "\n---\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := ctl("apply", "-f", manifest); !strings.Contains(out, "created") {
		t.Fatalf("applying the roles: %s", out)
	}
	ctl("create", "namespace", "team")
	// What Kubernetes' aggregation would give each built-in role: edit includes view, admin includes both.
	grants := map[string][]string{"viewer": {"view"}, "editor": {"view", "edit"}, "owner": {"view", "edit", "admin"}}
	for user, levels := range grants {
		for _, level := range levels {
			if out := ctl("-n", "team", "create", "rolebinding", user+"-"+level, "--clusterrole=invitation-operator-invitations-"+level, "--user="+user); !strings.Contains(out, "created") {
				t.Fatalf("binding %s: %s", user, out)
			}
		}
	}
	cases := []struct {
		user, verb, resource, want string
	}{
		{"editor", "create", "siteinvitations.invitations.siteops.dev", "yes"},
		{"editor", "delete", "siteinvitations.invitations.siteops.dev", "yes"},
		{"editor", "get", "invitationproviders.invitations.siteops.dev", "yes"},
		{"editor", "create", "invitationproviders.invitations.siteops.dev", "no"},
		{"editor", "update", "invitationproviders.invitations.siteops.dev", "no"},
		{"editor", "update", "siteinvitations.invitations.siteops.dev --subresource=status", "no"},
		{"viewer", "get", "siteinvitations.invitations.siteops.dev", "yes"},
		{"viewer", "list", "invitationproviders.invitations.siteops.dev", "yes"},
		{"viewer", "create", "siteinvitations.invitations.siteops.dev", "no"},
		{"viewer", "patch", "siteinvitations.invitations.siteops.dev", "no"},
		{"owner", "create", "invitationproviders.invitations.siteops.dev", "yes"},
		{"owner", "create", "clusterinvitationproviders.invitations.siteops.dev", "no"},
		{"owner", "get", "secrets", "no"},
	}
	for _, c := range cases {
		args := append([]string{"auth", "can-i", c.verb}, strings.Fields(c.resource)...)
		out := ctl(append(args, "-n", "team", "--as", c.user)...)
		if got := out[strings.LastIndex(out, "\n")+1:]; got != c.want { // the answer is the last line, after any warning
			t.Errorf("%s %s %s: %q, want %q", c.user, c.verb, c.resource, got, c.want)
		}
	}
}
