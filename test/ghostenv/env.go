package ghostenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// InstallEnv names the environment variable that points the harness at an installed Ghost (make
// test-ghost sets it to what hack/ghost/install.sh prints). Unset, tests that need a real Ghost skip.
const InstallEnv = "GHOST_INSTALL"

// Env is a running SMTP sink and a bootstrapped Ghost that delivers to it.
type Env struct {
	Sink  *Sink
	Ghost *Instance
	Site  *Site
	// ColdStart is how long the first start on a fresh database took (migrations included).
	ColdStart time.Duration
}

// The site a bootstrapped Ghost has; the contract suite's fake is seeded with the same names.
const (
	SiteTitle     = "Contract Blog"
	OwnerName     = "Olive Owner"
	OwnerEmail    = "owner@example.com"
	OwnerPassword = "correct-horse-battery-staple-42"
)

// Start starts a sink and a Ghost in dir and bootstraps it. On error everything started is stopped.
func Start(ctx context.Context, install, dir string) (*Env, error) {
	sink, err := StartSink("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g, err := NewInstance(Options{Install: install, Dir: dir, SMTPAddr: sink.Addr()})
	if err != nil {
		_ = sink.Stop()
		return nil, err
	}
	e := &Env{Sink: sink, Ghost: g}
	start := time.Now()
	if err := g.Start(); err != nil {
		e.Close()
		return nil, err
	}
	e.ColdStart = time.Since(start)
	if e.Site, err = Bootstrap(ctx, g.URL, SiteTitle, Owner{Name: OwnerName, Email: OwnerEmail, Password: OwnerPassword}); err != nil {
		e.Close()
		return nil, errors.Join(err, errors.New(lastLines(g.Log(), 20)))
	}
	return e, nil
}

// Close stops Ghost and the sink, by PID and listener; safe to call twice.
func (e *Env) Close() {
	if e.Ghost != nil {
		_ = e.Ghost.Stop()
	}
	if e.Sink != nil {
		_ = e.Sink.Stop()
	}
}

// StartT starts an Env for a test from $GHOST_INSTALL, skipping the test when it is unset, and stops it
// when the test ends, failed or not.
func StartT(t testing.TB) *Env {
	t.Helper()
	install := os.Getenv(InstallEnv)
	if install == "" {
		t.Skipf("%s is unset: run make test-ghost to test against a real Ghost", InstallEnv)
	}
	dir, err := os.MkdirTemp("", "ghostenv-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	e, err := Start(ctx, install, filepath.Join(dir, "instance"))
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close()
		if !t.Failed() {
			_ = os.RemoveAll(dir)
		} else {
			t.Logf("Ghost instance kept for inspection: %s", dir)
		}
	})
	return e
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
