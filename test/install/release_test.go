package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestDefaultImageIsWhatTheReleasePublishes: the chart and config/default install
// <IMAGE_REPO>:<appVersion> unless told otherwise, and the release workflow publishes exactly that — it
// pushes `make image`'s output under `make -s print-image` after hack/release-check.sh has compared the
// tag with every place that names the image.
func TestDefaultImageIsWhatTheReleasePublishes(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root(t), "charts", "invitation-operator", "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(b, &chart); err != nil {
		t.Fatal(err)
	}
	check := filepath.Join(root(t), "hack", "release-check.sh")
	if out, err := exec.Command(check, chart.AppVersion).CombinedOutput(); err != nil {
		t.Errorf("the tree does not agree with itself on the image it installs:\n%s", out)
	}
	if out, err := exec.Command(check, chart.AppVersion+"-other").CombinedOutput(); err == nil {
		t.Errorf("release-check accepted a tag that is not appVersion:\n%s", out)
	}

	wf, err := os.ReadFile(filepath.Join(root(t), ".github", "workflows", "release.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`hack/release-check.sh "$TAG"`, `make image VERSION="$TAG"`, `make -s print-image VERSION="$TAG"`,
		"bin/crane push bin/image/oci", "actions/attest-build-provenance", "actions/attest-sbom", `oci://$CHART_REPO`} {
		if !strings.Contains(string(wf), want) {
			t.Errorf("the release workflow lacks %q", want)
		}
	}
	// The tag the workflow pushes is the one the chart defaults to: make print-image with VERSION=appVersion.
	out, err := exec.Command("make", "-s", "-C", root(t), "print-image", "VERSION="+chart.AppVersion).Output()
	if err != nil {
		t.Fatal(err)
	}
	objs := docs(t, run(t, helm(t), "template", "inv", "charts/invitation-operator"))
	img := find(objs, "Deployment")[0].Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["image"]
	if strings.TrimSpace(string(out)) != img {
		t.Errorf("the workflow pushes %s, the chart installs %v", strings.TrimSpace(string(out)), img)
	}
}
