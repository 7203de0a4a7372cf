package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

func newPlanCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "plan NAME",
		Short: "What a suspended SiteInvitation would do when it resumes (status.plan)",
		Long: "plan prints status.plan, which the operator writes while spec.suspend is true: what the next pass " +
			"would send, revoke, resend and re-issue, with the reason for each email (the first three of each; the " +
			"counts are exact). Suspend an object, change it, read its plan, then resume it.",
		Example: "  kubectl patch siteinvitation blog-authors -n marketing --type merge -p '{\"spec\":{\"suspend\":true}}'\n" +
			"  kubectl invitations plan -n marketing blog-authors",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, obj, err := o.named(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			plan, note := obj.Status.Plan, planNote(obj)
			if o.output == outputJSON || o.output == outputYAML {
				out := map[string]any{"namespace": obj.Namespace, "name": obj.Name, "suspended": obj.Spec.Suspend}
				if plan != nil {
					out["plan"] = plan
				} else {
					out["note"] = note
				}
				return o.printData(out)
			}
			if plan == nil {
				_, err := fmt.Fprintf(o.streams.Out, "%s/%s: %s.\n", obj.Namespace, obj.Name, note)
				return err
			}
			var b strings.Builder
			fmt.Fprintf(&b, "Plan of %s/%s (suspended; resuming does this):\n", obj.Namespace, obj.Name)
			for _, a := range []struct {
				name   string
				action *invv1.PlannedAction
			}{{"send", plan.Send}, {"revoke", plan.Revoke}, {"resend", plan.Resend}, {"reissue", plan.Reissue}} {
				fmt.Fprintf(&b, "  %-8s %s\n", a.name, plannedLine(a.action))
			}
			if plan.Note != "" {
				fmt.Fprintf(&b, "Note: %s\n", plan.Note)
			}
			_, err = fmt.Fprint(o.streams.Out, b.String())
			return err
		},
	}
}

// planNote says why an object shows no plan.
func planNote(obj object) string {
	if !obj.Spec.Suspend {
		return "no plan: status.plan is shown only while spec.suspend is true, and this object is running"
	}
	return "no plan yet: the operator writes status.plan on its next pass over the suspended object"
}

// plannedLine is one action of the plan: its count, then the emails it names with their reasons.
func plannedLine(a *invv1.PlannedAction) string {
	if a == nil || a.Count == 0 {
		return "0"
	}
	emails := make([]string, len(a.Emails))
	for i, e := range a.Emails {
		emails[i] = e.Email + " (" + e.Reason + ")"
	}
	line := fmt.Sprintf("%d  %s", a.Count, strings.Join(emails, ", "))
	if more := int(a.Count) - len(a.Emails); more > 0 {
		line += fmt.Sprintf(" and %d more", more)
	}
	return line
}
