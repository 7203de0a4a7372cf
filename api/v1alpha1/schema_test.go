package v1alpha1_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

func loadCRDs(t *testing.T) []apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(env.Root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) != 3 {
		t.Fatalf("want 3 CRD files, got %d (%v)", len(files), err)
	}
	crds := make([]apiextensionsv1.CustomResourceDefinition, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(b, &crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		crds = append(crds, crd)
	}
	return crds
}

// TestEverySchemaPropertyHasADescription keeps `kubectl explain` useful: a field without a doc comment shows
// an empty DESCRIPTION.
func TestEverySchemaPropertyHasADescription(t *testing.T) {
	for _, crd := range loadCRDs(t) {
		for _, v := range crd.Spec.Versions {
			var missing []string
			var walk func(path string, s *apiextensionsv1.JSONSchemaProps)
			walk = func(path string, s *apiextensionsv1.JSONSchemaProps) {
				for name, prop := range s.Properties {
					p := path + "." + name
					// metadata is the standard ObjectMeta, which the API server documents itself.
					if strings.TrimSpace(prop.Description) == "" && p != crd.Spec.Names.Kind+".metadata" {
						missing = append(missing, p)
					}
					walk(p, &prop)
				}
				if s.Items != nil && s.Items.Schema != nil {
					walk(path+"[]", s.Items.Schema)
				}
			}
			walk(crd.Spec.Names.Kind, v.Schema.OpenAPIV3Schema)
			if len(missing) > 0 {
				t.Errorf("properties without a description:\n  %s", strings.Join(missing, "\n  "))
			}
		}
	}
}

// TestEveryStringAndListIsBounded keeps the worst-case object size computable: an unbounded string or list
// anywhere in the schema would make the size budget meaningless (and CEL cost estimates explode).
func TestEveryStringAndListIsBounded(t *testing.T) {
	for _, crd := range loadCRDs(t) {
		for _, v := range crd.Spec.Versions {
			var unbounded []string
			var walk func(path string, s *apiextensionsv1.JSONSchemaProps)
			walk = func(path string, s *apiextensionsv1.JSONSchemaProps) {
				switch {
				case s.Type == "string" && s.MaxLength == nil && s.Format != "date-time" && len(s.Enum) == 0:
					unbounded = append(unbounded, path)
				case s.Type == "array" && s.MaxItems == nil:
					unbounded = append(unbounded, path)
				}
				for name, prop := range s.Properties {
					walk(path+"."+name, &prop)
				}
				if s.Items != nil && s.Items.Schema != nil {
					walk(path+"[]", s.Items.Schema)
				}
			}
			for _, top := range []string{"spec", "status"} {
				if s, ok := v.Schema.OpenAPIV3Schema.Properties[top]; ok {
					walk(crd.Spec.Names.Kind+"."+top, &s)
				}
			}
			// The label selector is the standard metav1 type; the API server bounds it with its own
			// validation of label keys and values.
			var own []string
			for _, p := range unbounded {
				if !strings.Contains(p, ".namespaceSelector.") {
					own = append(own, p)
				}
			}
			if len(own) > 0 {
				t.Errorf("unbounded strings or lists:\n  %s", strings.Join(own, "\n  "))
			}
		}
	}
}

// TestEmailPatternIsTheGoPattern ties the CRD to invv1.EmailPattern, which ValidateEmail compiles.
func TestEmailPatternIsTheGoPattern(t *testing.T) {
	NewWithT(t).Expect(crdEmailPattern(t)).To(Equal(invv1.EmailPattern))
}

func crdEmailPattern(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.Root, "config", "crd", "bases", "invitations.siteops.dev_siteinvitations.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(b, &crd); err != nil {
		t.Fatal(err)
	}
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["emails"].Items.Schema.Pattern
}

// TestKubectlExplainShowsTheFieldDocs runs the real kubectl against the test API server, as a user would.
func TestKubectlExplainShowsTheFieldDocs(t *testing.T) {
	g := NewWithT(t)
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not on PATH; it is part of the machine set-up the README names")
	}
	user, err := env.AddUser(envtest.User{Name: "explainer", Groups: []string{"system:masters"}}, nil)
	g.Expect(err).NotTo(HaveOccurred())
	kubeconfig, err := user.KubeConfig()
	g.Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(t.TempDir(), "kubeconfig")
	g.Expect(os.WriteFile(path, kubeconfig, 0o600)).To(Succeed())

	cases := []struct {
		field string
		want  []string
	}{
		{"siteinvitation.spec.emails", []string{"FIELD: emails <[]string>", "lowercase addresses", "1 to 500 per object"}},
		{"siteinvitation.spec.removalPolicy", []string{"Keep (default)", "Revoke"}},
		{"siteinv.status.failed.nextAttemptAt", []string{"exponential backoff"}},
		{"clusterinvitationprovider.spec.baseURL", []string{"loopback"}},
	}
	for _, tc := range cases {
		// The API server publishes a new CRD's OpenAPI document a moment after the CRD is established.
		var out []byte
		g.Eventually(func() error {
			out, err = exec.Command(kubectl, "--kubeconfig", path, "explain", tc.field).CombinedOutput()
			return err
		}).WithTimeout(30*time.Second).WithPolling(200*time.Millisecond).Should(Succeed(), func() string { return string(out) })
		text := strings.Join(strings.Fields(string(out)), " ") // kubectl wraps lines at its own width
		for _, w := range tc.want {
			g.Expect(text).To(ContainSubstring(w), tc.field)
		}
	}
	out, err := exec.Command(kubectl, "--kubeconfig", path, "api-resources", "--categories", "invitations", "-o", "name").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	g.Expect(regexp.MustCompile(`(?m)^\S+\.invitations\.siteops\.dev$`).FindAllString(string(out), -1)).To(HaveLen(3))
}
