package ghostenv

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// TestInstanceStartsBootstrapsAndRestarts runs a real Ghost (GHOST_INSTALL): cold start on a fresh
// database, bootstrap, RSS, SIGKILL and restart on the same database (the owner's key still works), and
// no process left behind. It logs the figures docs/providers.md records.
func TestInstanceStartsBootstrapsAndRestarts(t *testing.T) {
	e := StartT(t)
	t.Logf("cold start on a fresh database: %s", e.ColdStart.Round(100*time.Millisecond))
	if rss, err := e.Ghost.RSS(); err == nil {
		t.Logf("RSS after bootstrap: %d MiB", rss>>20)
	}
	pid := e.Ghost.PID()
	start := time.Now()
	if err := e.Ghost.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("restart (SIGKILL, start on the same database): %s", time.Since(start).Round(100*time.Millisecond))
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("the killed Ghost (pid %d) is still running", pid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.Site.URL+"/ghost/api/admin/site/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if rss, err := e.Ghost.RSS(); err == nil {
		t.Logf("RSS after restart: %d MiB", rss>>20)
	}
	last := e.Ghost.PID()
	e.Close()
	if err := syscall.Kill(last, 0); err == nil {
		t.Fatalf("Ghost (pid %d) still runs after Close", last)
	}
}
