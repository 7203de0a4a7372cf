// Command localcluster runs the test control plane (kube-apiserver and etcd from hack/controlplane.sh)
// with the project's CRDs installed, for `make demo` and manual runs. It writes an administrator's
// kubeconfig, prints "ready", and stops the control plane cleanly on SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/siteops/invitation-operator/internal/testenv"
)

func main() {
	kubeconfig := flag.String("write-kubeconfig", "bin/demo/kubeconfig", "Where to write the administrator's kubeconfig.")
	flag.Parse()
	if err := run(*kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
}

func run(kubeconfig string) error {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	logf.SetLogger(logr.Discard())
	env, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	if err := env.WriteKubeconfig(kubeconfig, ""); err != nil {
		return err
	}
	fmt.Printf("ready: API server %s, kubeconfig %s\n", env.Config.Host, kubeconfig)
	<-signals
	fmt.Println("stopping the control plane")
	return nil
}
