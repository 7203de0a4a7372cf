package ghostenv

import "syscall"

// sysProcAttr puts Ghost in its own process group (so Kill reaches anything it forks) and has the kernel
// SIGKILL it when the thread that started it dies: a test binary killed by a timeout or ^C leaves no
// Ghost behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
