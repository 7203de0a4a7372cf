package image

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/testenv"
)

// The inputs the image is built from in these tests; the checks expect exactly these in the result.
const (
	testRepo     = "example.test/invitation-operator"
	testVersion  = "v0.0.0-imagetest"
	testRevision = "0123456789abcdef0123456789abcdef01234567"
	testSource   = "https://github.com/siteops/invitation-operator"
	testEpoch    = 1700000000
)

// built is the layout TestMain built, and a second build of the same inputs.
var built, rebuilt struct {
	dir    string
	digest string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "image-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	for i, b := range []*struct{ dir, digest string }{&built, &rebuilt} {
		b.dir = filepath.Join(tmp, fmt.Sprintf("build-%d", i))
		if b.digest, err = buildImage(b.dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

// buildImage runs hack/image.sh, as `make image` does, into dir and returns the index digest.
func buildImage(dir string) (string, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(root, "hack", "image.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "IMAGE_OUT="+dir, "IMAGE_REPO="+testRepo, "VERSION="+testVersion,
		"REVISION="+testRevision, "IMAGE_SOURCE="+testSource, fmt.Sprintf("SOURCE_DATE_EPOCH=%d", testEpoch))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/image.sh: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// TestImageIsReproducible: the same commit built twice is the same image, so a digest published by the
// release workflow can be rebuilt and checked by anyone.
func TestImageIsReproducible(t *testing.T) {
	if built.digest == "" || built.digest != rebuilt.digest {
		t.Fatalf("two builds of the same inputs differ: %s and %s", built.digest, rebuilt.digest)
	}
	a, err := os.ReadFile(filepath.Join(built.dir, "image.tar"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(rebuilt.dir, "image.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the two tarballs differ byte for byte")
	}
}

// platformImage is one platform's manifest and config in the built layout.
type platformImage struct {
	platform string
	manifest manifest
	config   config
}

func images(t *testing.T) (index, index, []platformImage) {
	t.Helper()
	l := layout{dir: filepath.Join(built.dir, "oci")}
	top, idx, err := l.top()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]platformImage, 0, len(idx.Manifests))
	for _, d := range idx.Manifests {
		if d.Platform == nil {
			t.Fatalf("manifest %s has no platform", d.Digest)
		}
		p := platformImage{platform: d.Platform.OS + "/" + d.Platform.Architecture}
		if err := l.blob(d.Digest, &p.manifest); err != nil {
			t.Fatal(err)
		}
		if err := l.blob(p.manifest.Config.Digest, &p.config); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return top, idx, out
}

func TestImageIndexNamesBothPlatformsAndTheRelease(t *testing.T) {
	top, idx, imgs := images(t)
	if got := top.Manifests[0].Annotations["io.containerd.image.name"]; got != testRepo+":"+testVersion {
		t.Errorf("the layout names the image %q, want %s:%s", got, testRepo, testVersion)
	}
	if idx.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("index media type %q", idx.MediaType)
	}
	platforms := make([]string, 0, len(imgs))
	for _, img := range imgs {
		platforms = append(platforms, img.platform)
		if img.manifest.MediaType != "application/vnd.oci.image.manifest.v1+json" {
			t.Errorf("%s: manifest media type %q", img.platform, img.manifest.MediaType)
		}
		if img.config.OS+"/"+img.config.Architecture != img.platform {
			t.Errorf("%s: config says %s/%s", img.platform, img.config.OS, img.config.Architecture)
		}
	}
	slices.Sort(platforms)
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms %v, want linux/amd64 and linux/arm64", platforms)
	}
	wantLabels := map[string]string{
		"org.opencontainers.image.source":   testSource,
		"org.opencontainers.image.version":  testVersion,
		"org.opencontainers.image.revision": testRevision,
	}
	for k, v := range wantLabels {
		if idx.Annotations[k] != v {
			t.Errorf("index annotation %s=%q, want %q", k, idx.Annotations[k], v)
		}
	}
	for _, img := range imgs {
		for k, v := range wantLabels {
			if img.config.Config.Labels[k] != v {
				t.Errorf("%s: label %s=%q, want %q", img.platform, k, img.config.Config.Labels[k], v)
			}
		}
	}
}

func TestImageRunsTheManagerAsNonroot(t *testing.T) {
	_, _, imgs := images(t)
	for _, img := range imgs {
		c := img.config
		if c.Config.User != "65532:65532" {
			t.Errorf("%s: user %q, want 65532:65532 (distroless nonroot)", img.platform, c.Config.User)
		}
		if !slices.Equal(c.Config.Entrypoint, []string{"/manager"}) || len(c.Config.Cmd) != 0 {
			t.Errorf("%s: entrypoint %v cmd %v, want [/manager] and none", img.platform, c.Config.Entrypoint, c.Config.Cmd)
		}
		if c.Config.WorkingDir != "/" {
			t.Errorf("%s: working dir %q", img.platform, c.Config.WorkingDir)
		}
		if !c.Created.Equal(time.Unix(testEpoch, 0)) {
			t.Errorf("%s: created %s, want SOURCE_DATE_EPOCH", img.platform, c.Created)
		}
	}
}

// TestImageHoldsTheBinaryAndBaseFilesAndNoShell reads every layer of every platform: the static binary at
// /manager, passwd and group naming nonroot 65532, a CA bundle Go can load, a world-writable /tmp with the
// sticky bit, every timestamp at SOURCE_DATE_EPOCH, and nothing else — in particular no shell.
func TestImageHoldsTheBinaryAndBaseFilesAndNoShell(t *testing.T) {
	l := layout{dir: filepath.Join(built.dir, "oci")}
	_, _, imgs := images(t)
	for _, img := range imgs {
		files := map[string]file{}
		for _, d := range img.manifest.Layers {
			if d.MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" {
				t.Errorf("%s: layer media type %q", img.platform, d.MediaType)
			}
			lf, err := l.layerFiles(d)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range lf {
				files[k] = v
			}
		}
		names := make([]string, 0, len(files))
		for name, f := range files {
			names = append(names, name)
			if !f.header.ModTime.Equal(time.Unix(testEpoch, 0)) {
				t.Errorf("%s: %s has mtime %s", img.platform, name, f.header.ModTime)
			}
			if f.header.Uname != "" || f.header.Gname != "" {
				t.Errorf("%s: %s carries owner names", img.platform, name)
			}
			if base := filepath.Base(name); slices.Contains([]string{"sh", "bash", "ash", "dash", "busybox"}, base) {
				t.Errorf("%s: the image holds a shell: %s", img.platform, name)
			}
		}
		slices.Sort(names)
		want := []string{"etc", "etc/group", "etc/nsswitch.conf", "etc/passwd", "etc/ssl", "etc/ssl/certs",
			"etc/ssl/certs/ca-certificates.crt", "home", "home/nonroot", "manager", "tmp"}
		if !slices.Equal(names, want) {
			t.Errorf("%s: files %v, want %v", img.platform, names, want)
		}
		if m := files["manager"].header; m == nil || m.Mode != 0o755 || m.Uid != 0 || len(files["manager"].data) < 1<<20 {
			t.Errorf("%s: /manager must be a root-owned 0755 binary: %+v", img.platform, m)
		}
		if !strings.Contains(string(files["etc/passwd"].data), "nonroot:x:65532:65532:") ||
			!strings.Contains(string(files["etc/group"].data), "nonroot:x:65532:") {
			t.Errorf("%s: passwd/group lack nonroot 65532", img.platform)
		}
		if h := files["tmp"].header; h == nil || h.Mode&0o1777 != 0o1777 {
			t.Errorf("%s: /tmp must be 1777", img.platform)
		}
		if h := files["home/nonroot"].header; h == nil || h.Uid != 65532 || h.Gid != 65532 {
			t.Errorf("%s: /home/nonroot must belong to 65532", img.platform)
		}
		checkCABundle(t, img.platform, files["etc/ssl/certs/ca-certificates.crt"].data)
	}
}

func checkCABundle(t *testing.T, platform string, b []byte) {
	t.Helper()
	n := 0
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Errorf("%s: CA bundle entry %d: %v", platform, n, err)
		}
		n++
	}
	if n < 100 {
		t.Errorf("%s: CA bundle holds %d certificates; a public root store has well over 100", platform, n)
	}
}
