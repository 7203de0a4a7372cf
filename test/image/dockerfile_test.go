package image

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/siteops/invitation-operator/internal/testenv"
)

// TestDockerfileAgreesWithTheImageTool: people with Docker build the image from the Dockerfile, the
// release builds it with `make image`; both must give the same binary at the same path, run as the same
// user with the same entrypoint and carry the same labels. The checks read the Dockerfile and
// hack/image.sh as text, since no Docker engine exists here to build the former.
func TestDockerfileAgreesWithTheImageTool(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	df := read(t, filepath.Join(root, "Dockerfile"))
	script := read(t, filepath.Join(root, "hack", "image.sh"))
	stages := regexp.MustCompile(`(?m)^FROM\s`).Split(df, -1)
	final := stages[len(stages)-1]
	_, _, imgs := images(t)
	cfg := imgs[0].config.Config

	if got := last(t, final, `(?m)^USER\s+(\S+)`); got != cfg.User {
		t.Errorf("Dockerfile USER %s, image %s", got, cfg.User)
	}
	var entrypoint []string
	if err := json.Unmarshal([]byte(last(t, final, `(?m)^ENTRYPOINT\s+(.+)$`)), &entrypoint); err != nil {
		t.Fatalf("ENTRYPOINT must be exec form: %v", err)
	}
	if !slices.Equal(entrypoint, cfg.Entrypoint) {
		t.Errorf("Dockerfile ENTRYPOINT %v, image %v", entrypoint, cfg.Entrypoint)
	}
	workdir := last(t, final, `(?m)^WORKDIR\s+(\S+)`)
	if workdir != cfg.WorkingDir {
		t.Errorf("Dockerfile WORKDIR %s, image %s", workdir, cfg.WorkingDir)
	}
	// COPY --from=builder /workspace/manager . puts the binary at WORKDIR/manager: the entrypoint.
	if dest := last(t, final, `(?m)^COPY\s+--from=builder\s+\S+/manager\s+(\S+)`); filepath.Join(workdir, dest, "manager") != cfg.Entrypoint[0] {
		t.Errorf("Dockerfile copies the binary to %s/%s, the image runs %s", workdir, dest, cfg.Entrypoint[0])
	}

	// The same go build flags: the Dockerfile's ${VERSION} is the script's ${VERSION}.
	dockerLdflags := last(t, df, `-ldflags "([^"]+)"`)
	scriptLdflags := last(t, script, `(?m)^ldflags="([^"]+)"`)
	if dockerLdflags != scriptLdflags {
		t.Errorf("-ldflags differ:\nDockerfile   %s\nhack/image.sh %s", dockerLdflags, scriptLdflags)
	}
	for _, flag := range []string{"CGO_ENABLED=0", "-trimpath", "-buildvcs=false"} {
		if !strings.Contains(df, flag) || !strings.Contains(script, flag) {
			t.Errorf("both builds need %s", flag)
		}
	}

	// The same label keys; the tool's values are checked against its inputs elsewhere.
	matches := regexp.MustCompile(`(org\.opencontainers\.image\.[a-z]+)=`).FindAllStringSubmatch(final, -1)
	dockerLabels := make([]string, 0, len(matches))
	for _, m := range matches {
		dockerLabels = append(dockerLabels, m[1])
	}
	imageLabels := make([]string, 0, len(cfg.Labels))
	for k := range cfg.Labels {
		imageLabels = append(imageLabels, k)
	}
	slices.Sort(dockerLabels)
	slices.Sort(imageLabels)
	if !slices.Equal(dockerLabels, imageLabels) {
		t.Errorf("labels differ: Dockerfile %v, image %v", dockerLabels, imageLabels)
	}
	if src := last(t, final, `org\.opencontainers\.image\.source="([^"]+)"`); src != testSource {
		t.Errorf("Dockerfile source label %s, want the project's %s", src, testSource)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// last returns the first group of the last match of re in s.
func last(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindAllStringSubmatch(s, -1)
	if len(m) == 0 {
		t.Fatalf("no match for %s", re)
	}
	return strings.TrimSpace(m[len(m)-1][1])
}
