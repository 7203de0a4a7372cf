// Package testenv starts the project's test control plane (envtest with the kube-apiserver and etcd that
// hack/controlplane.sh builds) with the project's CRDs installed. Test packages call Start once from
// TestMain.
package testenv

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// Env is a running control plane with the CRDs installed.
type Env struct {
	*envtest.Environment
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Scheme knows the built-in kinds and this project's kinds.
	Scheme *runtime.Scheme
	// Root is the repository root.
	Root string
}

// Start builds (or reuses) the control-plane binaries, starts them and installs config/crd/bases.
// KUBEBUILDER_ASSETS, when set (make test sets it), names the binaries' directory.
func Start() (*Env, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		if assets, err = buildControlPlane(root); err != nil {
			return nil, err
		}
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := invv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	te := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
	}
	cfg, err := te.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the test control plane from %s: %w", assets, err)
	}
	return &Env{Environment: te, Config: cfg, Scheme: scheme, Root: root}, nil
}

// StartForTest starts a control plane for one test, stopped when the test ends, and writes an
// administrator's kubeconfig into the test's temporary directory.
func StartForTest(t testing.TB) (env *Env, kubeconfig string) {
	t.Helper()
	env, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	kubeconfig = filepath.Join(t.TempDir(), "admin-kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig, ""); err != nil {
		t.Fatal(err)
	}
	return env, kubeconfig
}

// RepoRoot walks up from the working directory to the directory holding this module's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/siteops/invitation-operator\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of github.com/siteops/invitation-operator above the working directory")
		}
		dir = parent
	}
}

func buildControlPlane(root string) (string, error) {
	cmd := exec.Command(filepath.Join(root, "hack", "controlplane.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/controlplane.sh: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// WriteKubeconfig writes a kubeconfig for an administrator of the control plane to path. With impersonate
// (e.g. "system:serviceaccount:ns:name") every request is made as that identity instead, so its RBAC is
// what applies.
func (e *Env) WriteKubeconfig(path, impersonate string) error {
	user, err := e.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return err
	}
	if impersonate != "" {
		cfg, err := clientcmd.Load(kc)
		if err != nil {
			return err
		}
		for _, ai := range cfg.AuthInfos {
			ai.Impersonate = impersonate
		}
		if kc, err = clientcmd.Write(*cfg); err != nil {
			return err
		}
	}
	return os.WriteFile(path, kc, 0o600)
}

// FreePort returns a loopback TCP port that was free a moment ago, for a process the test starts. It
// panics if the loopback interface cannot be listened on: nothing here could run then.
func FreePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("testenv: no free loopback port: %v", err))
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}
