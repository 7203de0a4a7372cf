//go:build !linux

package ghostenv

import "syscall"

// sysProcAttr puts Ghost in its own process group; outside Linux there is no Pdeathsig, so a killed
// test binary may leave Ghost running.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
