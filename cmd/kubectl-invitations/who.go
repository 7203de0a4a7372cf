package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
)

func newWhoCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "who EMAIL",
		Short: "Every site a person is invited to, their state and age, and failures with reasons",
		Long: "who looks in every namespace unless -n is given, and lists each SiteInvitation naming the email: " +
			"the invite's state and age, and for a failure its reason, the provider's message and the next attempt.",
		Example: `  kubectl invitations who ada@example.com
  kubectl invitations who ada@example.com -n marketing -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.cluster()
			if err != nil {
				return err
			}
			objs, err := c.list(cmd.Context(), true)
			if err != nil {
				return err
			}
			email := strings.ToLower(strings.TrimSpace(args[0]))
			var items []whoItem
			for _, obj := range objs {
				items = append(items, whoIn(obj, email)...)
			}
			if o.output == outputJSON || o.output == outputYAML {
				return o.printData(map[string]any{"email": email, "items": items})
			}
			if len(items) == 0 {
				_, _ = fmt.Fprintf(o.streams.ErrOut, "%s is in no SiteInvitation%s.\n", email, c.where(true))
				return nil
			}
			return o.printWho(items)
		},
	}
}

// where names the namespaces a listing covered, for remarks.
func (c *cluster) where(everywhereByDefault bool) string {
	if c.all || (everywhereByDefault && !c.explicit) {
		return ""
	}
	return " in namespace " + c.namespace
}

// whoItem is one SiteInvitation's record of one person.
type whoItem struct {
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Provider  string   `json:"provider"`
	Site      string   `json:"site"`
	State     string   `json:"state"`
	Roles     []string `json:"roles,omitempty"`
	// Since is when the state began: the invite sent, the last attempt failed, the send started.
	Since         *time.Time `json:"since,omitempty"`
	InviteID      string     `json:"inviteID,omitempty"`
	ExpiresAt     string     `json:"expiresAt,omitempty"`
	Resends       int32      `json:"resends,omitempty"`
	RolesOutdated bool       `json:"rolesOutdated,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	Message       string     `json:"message,omitempty"`
	Retryable     bool       `json:"retryable,omitempty"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	// Removed is true for an invite whose email left spec.emails and awaits revocation.
	Removed bool `json:"removed,omitempty"`
}

// whoIn lists what obj records about email: as a desired person, or as a removed one whose pending
// invite is still in status.sent.
func whoIn(obj object, email string) []whoItem {
	base := whoItem{Namespace: obj.Namespace, Name: obj.Name, Provider: string(obj.Spec.Provider), Site: obj.Spec.Site}
	for _, p := range ledger.People(&obj.Spec, &obj.Status) {
		if p.Email != email {
			continue
		}
		it := base
		it.State, it.Roles = string(p.Standing), obj.Spec.Roles
		switch {
		case p.Standing == ledger.StandingInFlight:
			it.Since = timePtr(obj.Status.InFlight.StartedAt.Time)
		case p.Sent != nil:
			fillSent(&it, p.Sent)
		case p.Failed != nil:
			f := p.Failed
			it.Since, it.Reason, it.Message, it.Retryable = timePtr(f.LastAttemptAt.Time), f.Reason, f.Message, f.Retryable
			if f.NextAttemptAt != nil {
				it.NextAttemptAt = timePtr(f.NextAttemptAt.Time)
			}
		}
		return []whoItem{it}
	}
	for i := range obj.Status.Sent {
		if s := &obj.Status.Sent[i]; s.Email == email {
			it := base
			it.State, it.Removed = string(s.State), true
			fillSent(&it, s)
			return []whoItem{it}
		}
	}
	return nil
}

func fillSent(it *whoItem, s *invv1.SentInvitation) {
	it.Roles, it.InviteID, it.Since = s.Roles, s.InviteID, timePtr(s.SentAt.Time)
	it.Resends, it.RolesOutdated = s.Resends, s.RolesOutdated
	if s.ExpiresAt != nil {
		it.ExpiresAt = s.ExpiresAt.UTC().Format(time.RFC3339)
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (o *options) printWho(items []whoItem) error {
	t := newTable(o.streams.Out, "NAMESPACE", "NAME", "PROVIDER", "SITE", "STATE", "ROLES", "AGE", "DETAIL")
	for _, it := range items {
		age := "-"
		if it.Since != nil {
			age = o.age(*it.Since)
		}
		t.row(it.Namespace, it.Name, it.Provider, it.Site, it.State, strings.Join(it.Roles, ","), age, o.detail(it))
	}
	return t.flush()
}

// detail is what a person reading the table needs next: why it failed and when it is tried again, when
// it expires, or that it is on its way out.
func (o *options) detail(it whoItem) string {
	var parts []string
	if it.Reason != "" {
		msg := it.Reason
		if it.Message != "" {
			msg += ": " + it.Message
		}
		parts = append(parts, msg)
	}
	switch {
	case it.NextAttemptAt != nil:
		parts = append(parts, "next attempt "+o.until(*it.NextAttemptAt))
	case it.Reason != "" && !it.Retryable:
		parts = append(parts, "not retried by itself (kubectl invitations explain)")
	}
	if it.ExpiresAt != "" {
		if t, err := time.Parse(time.RFC3339, it.ExpiresAt); err == nil {
			verb := "expires "
			if !t.After(o.now()) {
				verb = "expired "
			}
			parts = append(parts, verb+o.until(t))
		}
	}
	if it.Resends > 0 {
		parts = append(parts, fmt.Sprintf("resent %d times", it.Resends))
	}
	if it.RolesOutdated {
		parts = append(parts, "sent with roles other than spec.roles")
	}
	if it.State == string(ledger.StandingInFlight) {
		parts = append(parts, "a send whose outcome is being settled")
	}
	if it.Removed {
		parts = append(parts, "removed from spec.emails; awaiting revocation")
	}
	return strings.Join(parts, "; ")
}
