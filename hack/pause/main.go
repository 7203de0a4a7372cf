// Command pause is the test node's Pod sandbox process: it holds the Pod's namespaces open until it is
// told to stop, reaping any orphan re-parented to it. No pause image can be pulled on these machines, so
// hack/cluster.sh builds this into an image named as containerd's sandbox image.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
