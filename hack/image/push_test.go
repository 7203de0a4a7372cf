package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// TestPushedDigestIsTheBuiltOne pushes a layout the way the release workflow does (`go tool crane push`,
// the crane this module pins) to a registry on loopback, and reads back what it holds: the multi-platform
// index under the very digest the build printed, not a wrapper around it. So the digest `make image`
// reports is the digest users pull, attest and verify.
func TestPushedDigestIsTheBuiltOne(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "manager")
	if err := os.WriteFile(bin, []byte("not really a binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := imageSpec{ref: "example.test/invitation-operator:v0.0.0-test", path: "/manager", base: baseNonroot, user: "65532:65532",
		labels: map[string]string{"org.opencontainers.image.version": "v0.0.0-test"}, created: time.Unix(1700000000, 0).UTC(),
		platforms: []platformBinary{{os: "linux", arch: "amd64", path: bin}, {os: "linux", arch: "arm64", path: bin}}}
	out := filepath.Join(dir, "out")
	digest, err := write(spec, out)
	if err != nil {
		t.Fatal(err)
	}

	reg := httptest.NewServer(registry.New())
	defer reg.Close()
	ref := strings.TrimPrefix(reg.URL, "http://") + "/siteops/invitation-operator:v0.0.0-test"
	crane := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("go", append([]string{"tool", "crane", "--insecure"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("crane %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	crane("push", filepath.Join(out, "oci"), ref)
	if got := crane("digest", ref); got != digest {
		t.Errorf("the registry holds %s, the build printed %s", got, digest)
	}
	var idx struct {
		MediaType string `json:"mediaType"`
		Manifests []struct {
			Platform struct {
				Architecture string `json:"architecture"`
			} `json:"platform"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal([]byte(crane("manifest", ref)), &idx); err != nil {
		t.Fatal(err)
	}
	if idx.MediaType != "application/vnd.oci.image.index.v1+json" || len(idx.Manifests) != 2 ||
		idx.Manifests[0].Platform.Architecture == "" {
		t.Errorf("the pushed image is not the two-platform index: %+v", idx)
	}
}
