package reasons_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/siteops/invitation-operator/internal/reasons"
	"github.com/siteops/invitation-operator/internal/testenv"
)

// TestTroubleshootingDocIsGenerated: docs/troubleshooting.md shows exactly this package's text, so the
// document and `kubectl invitations explain` never disagree.
func TestTroubleshootingDocIsGenerated(t *testing.T) {
	t.Parallel()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "docs", "troubleshooting.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := reasons.Splice(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(b) {
		t.Fatal("docs/troubleshooting.md is stale: run `make generate` (go run ./hack/gendocs) and commit it")
	}
}

// stringConsts returns the string constants of a Go file whose names start with one of prefixes.
func stringConsts(t *testing.T, path string, prefixes ...string) map[string]string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, path), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if i >= len(vs.Values) {
				break
			}
			lit, ok := vs.Values[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			for _, p := range prefixes {
				if strings.HasPrefix(name.Name, p) {
					out[name.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
		return true
	})
	if len(out) == 0 {
		t.Fatalf("no constants %v in %s", prefixes, path)
	}
	return out
}

// TestEveryReasonTheOperatorSetsIsExplained: a new reason constant without a row here fails, naming it.
func TestEveryReasonTheOperatorSetsIsExplained(t *testing.T) {
	t.Parallel()
	anywhere := []reasons.SectionID{reasons.SiteInvitationConditions, reasons.FailedReasons, reasons.ProviderConditions}
	cases := []struct {
		name     string
		file     string
		prefixes []string
		sections []reasons.SectionID
	}{
		{"condition reasons", "api/v1alpha1/conditions.go", []string{"Reason"}, anywhere},
		{"transient failure reasons", "api/v1alpha1/conditions.go", []string{"Failure"}, []reasons.SectionID{reasons.FailedReasons}},
		{"provider failure reasons", "internal/provider/errors.go", []string{"Reason"}, anywhere},
		{"warning events", "api/v1alpha1/conditions.go", []string{"EventRefreshFailed", "EventRevokeSkipped", "EventResendFailed"},
			[]reasons.SectionID{reasons.Events}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for name, value := range stringConsts(t, c.file, c.prefixes...) {
				found := false
				for _, s := range c.sections {
					_, ok := reasons.Lookup(s, value)
					found = found || ok
				}
				if !found {
					t.Errorf("%s (%q, %s) has no row in internal/reasons/table.go", name, value, c.file)
				}
			}
		})
	}
}

func TestLookupAndPlain(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, reason string
		lookup       func(string) (reasons.Entry, bool)
		wantOK       bool
		wantIn       string
	}{
		{"condition", "CredentialRejected", reasons.Condition, true, "valid token"},
		{"failure", "AlreadyMember", reasons.Failure, true, "already belongs"},
		{"failure found among conditions", "EndpointNotAllowed", reasons.Failure, true, "allowed-provider-cidrs"},
		{"unknown", "NoSuchReason", reasons.Condition, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, ok := c.lookup(c.reason)
			if ok != c.wantOK {
				t.Fatalf("found %v, want %v", ok, c.wantOK)
			}
			if text := reasons.Plain(e.Meaning + " " + e.Action); !strings.Contains(text, c.wantIn) || strings.Contains(text, "`") {
				t.Errorf("text %q lacks %q or keeps Markdown", text, c.wantIn)
			}
		})
	}
}
