package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// noPlans is what `plan` says when the operator writes no status.plan: the lifecycle work that computes
// it (what a suspended object's next pass would do) is not in this operator yet.
const noPlans = "this version of the operator does not compute plans yet (status.plan is absent)"

func newPlanCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "plan NAME",
		Short: "What a suspended SiteInvitation would do when it resumes (status.plan)",
		Long: "plan prints status.plan, which an operator that computes plans writes while spec.suspend is true: what " +
			"the next pass would send, retry and revoke. With an operator that writes none, it says so.",
		Example: "  kubectl invitations plan -n marketing blog-authors",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.cluster()
			if err != nil {
				return err
			}
			obj, err := c.get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			// Read from the raw object: this plugin's types need not know the field to show it.
			plan, ok := obj.nested("status", "plan")
			if o.output == outputJSON || o.output == outputYAML {
				out := map[string]any{"namespace": obj.Namespace, "name": obj.Name, "suspended": obj.Spec.Suspend}
				if ok {
					out["plan"] = plan
				} else {
					out["note"] = noPlans
				}
				return o.printData(out)
			}
			if !ok {
				_, err := fmt.Fprintf(o.streams.Out, "%s/%s: %s.\n", obj.Namespace, obj.Name, noPlans)
				if err == nil && !obj.Spec.Suspend {
					_, err = fmt.Fprintln(o.streams.Out, "Plans are shown for suspended objects (spec.suspend: true); this one is running.")
				}
				return err
			}
			b, err := yaml.Marshal(plan)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(o.streams.Out, "Plan of %s/%s (suspended: %v):\n%s", obj.Namespace, obj.Name, obj.Spec.Suspend, b)
			return err
		},
	}
}
