package ghostenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options lay out and start one Ghost instance.
type Options struct {
	// Install is the installed Ghost (what hack/ghost/install.sh prints: bin/ghost/ghost-<version>).
	Install string
	// Dir is the instance directory (a fresh t.TempDir()); it holds the database and the log.
	Dir string
	// SMTPAddr is host:port of the SMTP sink Ghost delivers to.
	SMTPAddr string
	// Port is the loopback port Ghost listens on; 0 picks a free one.
	Port int
	// StartTimeout bounds one wait for Ghost to answer; zero means 180s (a cold start on a fresh database
	// takes 7-12 s here, several times that on a loaded machine).
	StartTimeout time.Duration
}

// Instance is one Ghost process on loopback, laid out like ghost-cli lays out an install:
// Dir/current → the installed Ghost, Dir/content (a copy of its content/), Dir/config.production.json.
type Instance struct {
	// URL is the site URL, http://127.0.0.1:<port>: also where its Admin API is.
	URL  string
	opts Options

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the running process has been waited for
	log  *os.File
}

// NewInstance lays out the instance directory; Start runs it.
func NewInstance(opts Options) (*Instance, error) {
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 180 * time.Second
	}
	if _, err := os.Stat(filepath.Join(opts.Install, "current", "index.js")); err == nil {
		return nil, fmt.Errorf("ghostenv: %s looks like an instance dir; pass the installed Ghost", opts.Install)
	}
	if _, err := os.Stat(filepath.Join(opts.Install, "index.js")); err != nil {
		return nil, fmt.Errorf("ghostenv: no Ghost install at %q (run make ghost): %w", opts.Install, err)
	}
	if opts.Port == 0 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		opts.Port = port
	}
	g := &Instance{URL: fmt.Sprintf("http://127.0.0.1:%d", opts.Port), opts: opts}
	if err := g.layout(); err != nil {
		return nil, err
	}
	return g, nil
}

// layout writes the instance directory. Ghost finds its version through the current symlink and crashes
// in @tryghost/version when started elsewhere.
func (g *Instance) layout() error {
	install, err := filepath.Abs(g.opts.Install)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(g.opts.Dir, 0o755); err != nil {
		return err
	}
	if err := os.Symlink(install, filepath.Join(g.opts.Dir, "current")); err != nil {
		return fmt.Errorf("ghostenv: linking current: %w", err)
	}
	if err := os.CopyFS(filepath.Join(g.opts.Dir, "content"), os.DirFS(filepath.Join(install, "content"))); err != nil {
		return fmt.Errorf("ghostenv: copying content/: %w", err)
	}
	host, port, err := net.SplitHostPort(g.opts.SMTPAddr)
	if err != nil {
		return fmt.Errorf("ghostenv: SMTP address %q: %w", g.opts.SMTPAddr, err)
	}
	smtpPort, _ := strconv.Atoi(port)
	cfg := map[string]any{
		"url":    g.URL,
		"server": map[string]any{"host": "127.0.0.1", "port": g.opts.Port},
		"database": map[string]any{"client": "sqlite3",
			"connection": map[string]any{"filename": filepath.Join(g.opts.Dir, "content", "data", "ghost.db")}},
		"mail": map[string]any{"transport": "SMTP", "from": "Ghost <ghost@example.com>",
			"options": map[string]any{"host": host, "port": smtpPort, "secure": false, "ignoreTLS": true}},
		"logging":  map[string]any{"transports": []string{"stdout"}, "level": "info"},
		"privacy":  map[string]any{"useUpdateCheck": false, "useGravatar": false, "useRpcPing": false, "useStructuredData": false},
		"security": map[string]any{"staffDeviceVerification": false},
		"paths":    map[string]any{"contentPath": filepath.Join(g.opts.Dir, "content")},
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	return os.WriteFile(filepath.Join(g.opts.Dir, "config.production.json"), b, 0o644)
}

// Start runs `node current/index.js` (NODE_ENV=production) in the instance directory and waits, bounded,
// until the site answers. The process gets SIGKILL when the test binary dies (Pdeathsig), so a killed test
// leaves no Ghost running.
func (g *Instance) Start() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd != nil {
		return errors.New("ghostenv: Ghost is already running")
	}
	logf, err := os.OpenFile(filepath.Join(g.opts.Dir, "ghost.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command("node", "current/index.js")
	cmd.Dir = g.opts.Dir
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("ghostenv: starting Ghost: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	g.cmd, g.done, g.log = cmd, done, logf
	if err := waitReady(g.URL, g.opts.StartTimeout, done); err != nil {
		_ = g.killLocked()
		return fmt.Errorf("%w (log: %s)", err, filepath.Join(g.opts.Dir, "ghost.log"))
	}
	return nil
}

// PID is the running Ghost's process id, 0 when it is not running.
func (g *Instance) PID() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil {
		return 0
	}
	return g.cmd.Process.Pid
}

// Kill sends SIGKILL to Ghost's process group and waits for it: a crash in the middle of whatever it
// was doing. The database stays; Start runs Ghost again on it.
func (g *Instance) Kill() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.killLocked()
}

func (g *Instance) killLocked() error {
	if g.cmd == nil {
		return nil
	}
	pid := g.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = g.cmd.Process.Kill()
	var err error
	select {
	case <-g.done:
	case <-time.After(10 * time.Second):
		err = fmt.Errorf("ghostenv: Ghost (pid %d) did not exit within 10s of SIGKILL", pid)
	}
	_ = g.log.Close()
	g.cmd, g.done, g.log = nil, nil, nil
	return err
}

// Stop ends Ghost: SIGTERM, then SIGKILL when it has not exited within 10 s.
func (g *Instance) Stop() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil {
		return nil
	}
	_ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-g.done:
		_ = g.log.Close()
		g.cmd, g.done, g.log = nil, nil, nil
		return nil
	case <-time.After(10 * time.Second):
	}
	return g.killLocked()
}

// Restart kills Ghost and starts it again on the same database.
func (g *Instance) Restart() error {
	if err := g.Kill(); err != nil {
		return err
	}
	return g.Start()
}

// RSS is the resident memory of the running Ghost process, in bytes (Linux /proc).
func (g *Instance) RSS() (int64, error) {
	pid := g.PID()
	if pid == 0 {
		return 0, errors.New("ghostenv: Ghost is not running")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("ghostenv: no VmRSS in /proc status")
}

// Log returns Ghost's output so far (for a failing test's message).
func (g *Instance) Log() string {
	b, _ := os.ReadFile(filepath.Join(g.opts.Dir, "ghost.log"))
	return string(b)
}

// waitReady polls the public site endpoint until it answers 200, Ghost exits, or timeout passes.
func waitReady(site string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, site+"/ghost/api/admin/site/", nil)
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("ghostenv: Ghost exited before it answered")
		case <-ctx.Done():
			return fmt.Errorf("ghostenv: Ghost did not answer within %s", timeout)
		case <-tick.C:
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
