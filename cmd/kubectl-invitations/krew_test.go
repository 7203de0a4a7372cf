package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/siteops/invitation-operator/internal/testenv"
)

// TestKrewManifest: plugins/invitations.yaml is a krew manifest whose archives are the release
// workflow's (kubectl-invitations_{os}_{arch}.tar.gz of spec.version) with a well-formed sha256 each.
func TestKrewManifest(t *testing.T) {
	t.Parallel()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "plugins", "invitations.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		APIVersion, Kind string
		Metadata         struct{ Name string }
		Spec             struct {
			Version, ShortDescription string
			Platforms                 []struct {
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				}
				URI, Sha256, Bin string
			}
		}
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "invitations" ||
		!regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(m.Spec.Version) || m.Spec.ShortDescription == "" || len(m.Spec.Platforms) == 0 {
		t.Fatalf("not a krew manifest of the invitations plugin: %+v", m)
	}
	for _, p := range m.Spec.Platforms {
		goos, arch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		want := "https://github.com/siteops/invitation-operator/releases/download/" + m.Spec.Version + "/kubectl-invitations_" + goos + "_" + arch + ".tar.gz"
		bin := "kubectl-invitations"
		if goos == "windows" {
			bin += ".exe"
		}
		if p.URI != want || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(p.Sha256) || p.Bin != bin {
			t.Errorf("%s/%s: uri %s (want %s), sha256 %q, bin %s", goos, arch, p.URI, want, p.Sha256, p.Bin)
		}
	}
	if !strings.Contains(string(b), "filled by the release workflow") {
		t.Error("the placeholder sums must say who fills them")
	}
}
