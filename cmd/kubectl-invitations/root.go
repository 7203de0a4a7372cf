package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// streams are where a command writes: its result and its remarks.
type streams struct {
	Out, ErrOut io.Writer
}

// options are the flags every command shares: kubectl's own connection flags, -A and -o.
type options struct {
	config        *genericclioptions.ConfigFlags
	allNamespaces bool
	output        string
	streams       streams
	now           func() time.Time
}

// The output formats of -o.
const (
	outputTable = ""
	outputWide  = "wide"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

func newRootCommand(s streams) *cobra.Command {
	o := &options{config: genericclioptions.NewConfigFlags(true), streams: s, now: time.Now}
	root := &cobra.Command{
		Use:   "kubectl-invitations",
		Short: "See where everyone stands in SiteInvitations, and nudge the operator",
		Long: "kubectl invitations shows who is invited where, who has not accepted, what is stuck and why, " +
			"and asks the invitation-operator for retries and resends.",
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl invitations"},
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			switch o.output {
			case outputTable, outputWide, outputJSON, outputYAML:
				return nil
			}
			return fmt.Errorf("-o %q: want json, yaml or wide (default: a table)", o.output)
		},
	}
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	flags := root.PersistentFlags()
	o.config.AddFlags(flags)
	flags.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "Look in every namespace.")
	flags.StringVarP(&o.output, "output", "o", "", "Output format: json, yaml or wide (default: a table).")
	root.AddCommand(newStatusCommand(o), newWhoCommand(o), newExplainCommand(o), newPlanCommand(o),
		newNudgeCommand(o, nudgeRetry), newNudgeCommand(o, nudgeResend))
	return root
}
