package ghostenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a test run that starts Ghost and then waits to be killed.
const helperEnv = "GHOSTENV_HELPER_PIDFILE"

// TestKilledTestBinaryLeavesNoGhost SIGKILLs a test binary that has a Ghost running (no cleanup can run)
// and checks that the kernel ends Ghost too (Pdeathsig).
func TestKilledTestBinaryLeavesNoGhost(t *testing.T) {
	if os.Getenv(InstallEnv) == "" {
		t.Skipf("%s is unset", InstallEnv)
	}
	pidFile := filepath.Join(t.TempDir(), "ghost.pid")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStartsGhostAndWaits$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"="+pidFile, "TMPDIR="+t.TempDir()) // the helper's instance dir goes with this test
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var pid int
	deadline := time.Now().Add(4 * time.Minute)
	for pid == 0 && time.Now().Before(deadline) {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("the helper never started Ghost")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return // gone (or a zombie already reaped by init)
		}
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(b), ") Z ") {
			return // a zombie: dead, waiting for init
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("Ghost (pid %d) outlived the killed test binary", pid)
}

// TestHelperStartsGhostAndWaits is the child of TestKilledTestBinaryLeavesNoGhost; it does nothing in
// a normal run.
func TestHelperStartsGhostAndWaits(t *testing.T) {
	pidFile := os.Getenv(helperEnv)
	if pidFile == "" {
		t.Skip("helper process only")
	}
	e := StartT(t)
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(e.Ghost.PID())), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Minute) // killed long before
}
