package main

import (
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
)

func newStatusCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "status [NAME]",
		Short: "Every SiteInvitation with its people counted by state, and the reason when it is not Ready",
		Example: `  kubectl invitations status -A
  kubectl invitations status -n marketing blog-authors -o yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.cluster()
			if err != nil {
				return err
			}
			var objs []object
			if len(args) == 1 {
				obj, err := c.get(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				objs = []object{obj}
			} else if objs, err = c.list(cmd.Context(), false); err != nil {
				return err
			}
			items := make([]statusItem, 0, len(objs))
			for _, obj := range objs {
				items = append(items, statusOf(obj))
			}
			if o.output == outputJSON || o.output == outputYAML {
				return o.printData(map[string]any{"items": items})
			}
			if len(items) == 0 {
				o.noneFound(c)
				return nil
			}
			return o.printStatus(items, c.all)
		},
	}
}

// statusItem is one SiteInvitation in `status`: its people by state and its Ready condition.
type statusItem struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Provider  string `json:"provider"`
	Site      string `json:"site"`
	People    int    `json:"people"`
	// States counts the people by where they stand: Pending, Accepted, Expired, Revoked, Failed, InFlight, Queued.
	States    map[string]int `json:"states"`
	Ready     string         `json:"ready"`
	Reason    string         `json:"reason,omitempty"`
	Message   string         `json:"message,omitempty"`
	Suspended bool           `json:"suspended,omitempty"`
	Created   time.Time      `json:"created"`
}

func statusOf(obj object) statusItem {
	it := statusItem{Namespace: obj.Namespace, Name: obj.Name, Provider: string(obj.Spec.Provider), Site: obj.Spec.Site,
		People: len(obj.Spec.Emails), States: map[string]int{}, Ready: "Unknown", Suspended: obj.Spec.Suspend,
		Created: obj.CreationTimestamp.Time}
	for _, s := range ledger.AllStandings {
		it.States[string(s)] = 0
	}
	for _, p := range ledger.People(&obj.Spec, &obj.Status) {
		it.States[string(p.Standing)]++
	}
	if c := meta.FindStatusCondition(obj.Status.Conditions, invv1.ConditionReady); c != nil {
		it.Ready, it.Reason, it.Message = string(c.Status), c.Reason, c.Message
	}
	return it
}

func (o *options) printStatus(items []statusItem, allNamespaces bool) error {
	wide := o.output == outputWide
	headings := []string{"NAME", "PROVIDER", "PEOPLE", "ACCEPTED", "PENDING", "EXPIRED", "FAILED", "READY", "REASON", "AGE"}
	if wide {
		headings = []string{"NAME", "PROVIDER", "SITE", "PEOPLE", "ACCEPTED", "PENDING", "EXPIRED", "REVOKED", "FAILED", "IN-FLIGHT",
			"QUEUED", "READY", "REASON", "AGE", "MESSAGE"}
	}
	if allNamespaces {
		headings = append([]string{"NAMESPACE"}, headings...)
	}
	t := newTable(o.streams.Out, headings...)
	for _, it := range items {
		reason := ""
		if it.Ready != "True" { // the reason says why; a Ready object's reason is always Succeeded
			reason = it.Reason
		}
		n := func(state string) string { return itoa(it.States[state]) }
		cells := []string{it.Name, it.Provider, itoa(it.People), n("Accepted"), n("Pending"), n("Expired"), n("Failed"), it.Ready, reason,
			o.age(it.Created)}
		if wide {
			cells = []string{it.Name, it.Provider, it.Site, itoa(it.People), n("Accepted"), n("Pending"), n("Expired"), n("Revoked"),
				n("Failed"), n("InFlight"), n("Queued"), it.Ready, reason, o.age(it.Created), it.Message}
		}
		if allNamespaces {
			cells = append([]string{it.Namespace}, cells...)
		}
		t.row(cells...)
	}
	return t.flush()
}

// noneFound says, like kubectl, that nothing matched, on the remarks stream.
func (o *options) noneFound(c *cluster) {
	if c.all {
		_, _ = o.streams.ErrOut.Write([]byte("No SiteInvitations found.\n"))
		return
	}
	_, _ = o.streams.ErrOut.Write([]byte("No SiteInvitations found in " + c.namespace + " namespace.\n"))
}
