// Command kubectl-invitations is a kubectl plugin that answers a platform team's weekly questions about
// SiteInvitations — who is invited where, who has not accepted, what is stuck and why — and asks the
// operator for one-off retries and resends. On the PATH it runs as `kubectl invitations`:
//
//	go install github.com/siteops/invitation-operator/cmd/kubectl-invitations@latest
//	kubectl invitations status -A
//	kubectl invitations who ada@example.com
//	kubectl invitations explain -n marketing blog-authors
//	kubectl invitations retry -n marketing blog-authors
//
// It reads the objects with your kubeconfig (the usual --kubeconfig, --context, -n flags) and needs only
// get, list and patch on siteinvitations.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCommand(streams{Out: os.Stdout, ErrOut: os.Stderr}).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
