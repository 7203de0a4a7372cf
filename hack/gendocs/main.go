// Command gendocs rewrites the generated tables of docs/troubleshooting.md from internal/reasons, the
// one source of the reasons' text (`kubectl invitations explain` prints the same). make generate runs it.
package main

import (
	"fmt"
	"os"

	"github.com/siteops/invitation-operator/internal/reasons"
)

func main() {
	path := "docs/troubleshooting.md"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	if err := rewrite(path); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func rewrite(path string) error {
	b, err := os.ReadFile(path) //nolint:gosec // G304: a repository file named by the Makefile
	if err != nil {
		return err
	}
	out, err := reasons.Splice(string(b))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if out == string(b) {
		return nil
	}
	return os.WriteFile(path, []byte(out), 0o600) //nolint:gosec // G703: the same repository file
}
