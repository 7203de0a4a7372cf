package image

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestImageRunsWithRunc unpacks this machine's platform of the image and runs it with runc the way the
// kubelet will under the restricted Pod Security Standard: read-only root filesystem, uid/gid 65532, no
// capabilities, no new privileges, a network namespace of its own. `--help` proves the static binary
// starts there and parses its flags; the in-cluster tests (make e2e-cluster) run it for real.
func TestImageRunsWithRunc(t *testing.T) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal("runc is not installed: run `make runc` (make test does)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("running the image needs root (make test runs as root in CI)")
	}
	bundle := t.TempDir()
	rootfs := filepath.Join(bundle, "rootfs")
	img := platform(t, "linux/"+runtime.GOARCH)
	unpack(t, img, rootfs)

	spec := runcSpec(t, runc, bundle)
	process := spec["process"].(map[string]any)
	process["terminal"] = false
	process["args"] = append(append([]any{}, toAny(img.config.Config.Entrypoint)...), "--help")
	process["env"] = toAny(img.config.Config.Env)
	process["cwd"] = img.config.Config.WorkingDir
	process["user"] = map[string]any{"uid": 65532, "gid": 65532}
	process["noNewPrivileges"] = true
	process["capabilities"] = map[string]any{}
	spec["root"] = map[string]any{"path": "rootfs", "readonly": true}
	writeJSON(t, filepath.Join(bundle, "config.json"), spec)

	state := t.TempDir()
	id := "invitation-operator-image-test-" + strings.ReplaceAll(filepath.Base(bundle), "_", "-")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, runc, "--root", state, "run", "--bundle", bundle, id)
	out, err := cmd.CombinedOutput()
	// runc run deletes the container (and its cgroups) when the process exits; make sure of it.
	_ = exec.Command(runc, "--root", state, "delete", "--force", id).Run()
	text := string(out)
	// The manager prints its usage and exits non-zero for --help (flag.ErrHelp); what matters is that it ran.
	for _, want := range []string{"Usage of manager", "-send-deadline", "-metrics-bind-address"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the manager did not start in the container (runc: %v):\n%s", err, text)
		}
	}
}

func platform(t *testing.T, want string) platformImage {
	t.Helper()
	_, _, imgs := images(t)
	for _, img := range imgs {
		if img.platform == want {
			return img
		}
	}
	t.Fatalf("the image has no %s", want)
	return platformImage{}
}

// unpack writes the image's layers into dir; these layers hold no whiteouts, links or devices.
func unpack(t *testing.T, img platformImage, dir string) {
	t.Helper()
	l := layout{dir: filepath.Join(built.dir, "oci")}
	for _, d := range img.manifest.Layers {
		files, err := l.layerFiles(d)
		if err != nil {
			t.Fatal(err)
		}
		for name, f := range files {
			p := filepath.Join(dir, name)
			mode := os.FileMode(f.header.Mode & 0o777)
			if f.header.Typeflag == '5' {
				if err := os.MkdirAll(p, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(p, mode|stickyOf(f.header.Mode)); err != nil {
					t.Fatal(err)
				}
			} else {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.data, mode); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Lchown(p, f.header.Uid, f.header.Gid); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func stickyOf(mode int64) os.FileMode {
	if mode&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}

// runcSpec is runc's default spec for this machine (namespaces, masked paths, mounts), to be adjusted.
func runcSpec(t *testing.T, runc, bundle string) map[string]any {
	t.Helper()
	cmd := exec.Command(runc, "spec", "--bundle", bundle)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
