// Package gitops checks how GitOps tools judge the operator's objects: Argo CD through the custom health
// check shipped in config/argocd, Flux through kstatus (sigs.k8s.io/cli-utils), both against the same
// fixtures of what the operator writes.
package gitops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

var cases = []struct {
	fixture    string
	wantArgo   string
	wantKstat  status.Status
	wantInText string
}{
	{"ready.yaml", "Healthy", status.CurrentStatus, "1 of 1 invited"},
	{"reconciling.yaml", "Progressing", status.InProgressStatus, "Retrying"},
	{"stalled.yaml", "Degraded", status.FailedStatus, "OutcomeUnknown"},
	{"stale-generation.yaml", "Progressing", status.InProgressStatus, "generation 4"},
	{"new.yaml", "Progressing", status.InProgressStatus, "generation 1"},
	{"suspended.yaml", "Suspended", status.InProgressStatus, "suspend"},
	{"provider-stalled.yaml", "Degraded", status.FailedStatus, "SecretNotFound"},
	{"cluster-provider-ready.yaml", "Healthy", status.CurrentStatus, "accepted the credential"},
}

func load(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil { // integers as int64, as the API server serves them
		t.Fatal(err)
	}
	return u
}

// healthScripts reads the Lua of each kind from the ConfigMap patch users apply.
func healthScripts(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "config", "argocd", "argocd-cm-health.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.UnmarshalStrict(b, &cm); err != nil {
		t.Fatal(err)
	}
	scripts := map[string]string{}
	for k, v := range cm.Data {
		kind := strings.TrimPrefix(k, "resource.customizations.health.invitations.siteops.dev_")
		scripts[kind] = v
	}
	if len(scripts) != 3 {
		t.Fatalf("want a health check per kind, got %v", scripts)
	}
	return scripts
}

// runArgoHealth runs a health script the way Argo CD does: obj is a global table made from the object's
// JSON, and the script returns {status, message}.
func runArgoHealth(t *testing.T, script string, obj map[string]any) (string, string) {
	t.Helper()
	L := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer L.Close()
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(script); err != nil {
		t.Fatalf("health script: %v", err)
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("health script returned %v", L.Get(-1))
	}
	return lua.LVAsString(ret.RawGetString("status")), lua.LVAsString(ret.RawGetString("message"))
}

func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case map[string]any:
		t := L.NewTable()
		for k, val := range x {
			t.RawSetString(k, toLua(L, val))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, val := range x {
			t.Append(toLua(L, val))
		}
		return t
	case string:
		return lua.LString(x)
	case bool:
		return lua.LBool(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case nil:
		return lua.LNil
	}
	panic("unexpected JSON value")
}

func TestArgoCDHealth(t *testing.T) {
	t.Parallel()
	scripts := healthScripts(t)
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			u := load(t, tc.fixture)
			got, msg := runArgoHealth(t, scripts[u.GetKind()], u.Object)
			if got != tc.wantArgo || !strings.Contains(msg, tc.wantInText) {
				t.Errorf("Argo CD health = %s (%q), want %s containing %q", got, msg, tc.wantArgo, tc.wantInText)
			}
		})
	}
}

// TestFluxKstatus: Flux's health checks read Current only when Ready for the current generation.
func TestFluxKstatus(t *testing.T) {
	t.Parallel()
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			res, err := status.Compute(load(t, tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.wantKstat {
				t.Errorf("kstatus = %s (%s), want %s", res.Status, res.Message, tc.wantKstat)
			}
		})
	}
}
