package wordpress

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/siteops/invitation-operator/internal/provider"
)

// DefaultBatchSize is WordPress.com's default batch: its invites are observable, so an unknown outcome is
// settled by listing and a larger batch costs nothing in certainty.
const DefaultBatchSize = 20

// Provider adapts Client to provider.Client.
type Provider struct {
	client    *Client
	batchSize int
}

var _ provider.Client = (*Provider)(nil)

// NewProvider builds the adapter for cfg.
func NewProvider(cfg provider.Config) (*Provider, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &Provider{client: c, batchSize: cfg.Batch(DefaultBatchSize)}, nil
}

// Capabilities reports the batch size; WordPress.com lists pending invites.
func (p *Provider) Capabilities() provider.Capabilities {
	return provider.Capabilities{BatchSize: p.batchSize, ListsPending: true, Revokes: true}
}

// Send calls invites/new with the batch's one role. The answer names who was sent (no invite key; the next
// Observe learns it) and an error per invitee that was not; an email in neither is outcome unknown.
func (p *Provider) Send(ctx context.Context, b provider.Batch) ([]provider.Outcome, error) {
	if len(b.Roles) != 1 {
		return nil, &provider.PermanentError{Reason: provider.ReasonUnknownRole, Message: "WordPress.com invites take exactly one role"}
	}
	resp, err := p.client.NewInvites(ctx, b.Site, NewInvitesRequest{Invitees: b.Emails, Role: b.Roles[0], Message: b.Message, IsExternal: b.External})
	if err != nil {
		return nil, err
	}
	errs, err := resp.InviteeErrors()
	if err != nil {
		return nil, &provider.OutcomeUnknownError{Cause: fmt.Errorf("wordpress invite: unreadable errors map: %w", err)}
	}
	lowered := make(map[string]string, len(errs))
	for k := range errs {
		lowered[strings.ToLower(k)] = k
	}
	out := make([]provider.Outcome, len(b.Emails))
	for i, email := range b.Emails {
		out[i].Email = email
		switch key, failed := lowered[email]; {
		case failed:
			out[i].Err = inviteeError(errs[key])
		case slices.ContainsFunc(resp.Sent, func(s string) bool { return strings.EqualFold(s, email) }):
		default:
			out[i].Err = &provider.OutcomeUnknownError{Cause: fmt.Errorf("WordPress.com answered without mentioning this email")}
		}
	}
	return out, nil
}

// Observe lists the site's invites and, for each lookup email the list does not show, searches the site's
// members. When an email has several invites the most advanced one wins (accepted, then pending).
func (p *Provider) Observe(ctx context.Context, site string, q provider.Query) ([]provider.Observation, error) {
	invites, err := p.client.ListInvites(ctx, site, q.Wanted())
	if err != nil {
		return nil, err
	}
	byEmail := map[string]provider.Observation{}
	for _, inv := range invites {
		email := strings.ToLower(inv.User.Email)
		if email == "" {
			continue // a username invite
		}
		o := provider.Observation{Email: email, InviteID: inv.InviteKey, State: inviteState(inv), Roles: []string{inv.Role}}
		if prev, ok := byEmail[email]; !ok || rank(o.State) > rank(prev.State) {
			byEmail[email] = o
		}
	}
	for _, email := range q.Lookup {
		if _, ok := byEmail[email]; ok {
			continue
		}
		u, err := p.client.FindMember(ctx, site, email)
		if err != nil {
			return nil, err
		}
		if u != nil {
			byEmail[email] = provider.Observation{Email: email, State: provider.Accepted, Roles: u.Roles}
		}
	}
	out := make([]provider.Observation, 0, len(byEmail))
	for _, o := range byEmail {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b provider.Observation) int { return strings.Compare(a.Email, b.Email) })
	return out, nil
}

// inviteState reads an invite: pending; accepted (accepted_date set); otherwise expired. The list's
// treatment of lapsed invites is not documented; a lapsed invite is not pending and was not accepted.
func inviteState(inv Invite) provider.State {
	switch {
	case inv.IsPending:
		return provider.Pending
	case inv.AcceptedDate != nil && *inv.AcceptedDate != "":
		return provider.Accepted
	}
	return provider.Expired
}

func rank(s provider.State) int {
	switch s {
	case provider.Accepted:
		return 3
	case provider.Pending:
		return 2
	}
	return 1
}

// Revoke deletes one invite and checks that WordPress.com says so: a key listed as invalid is already gone.
func (p *Provider) Revoke(ctx context.Context, site, inviteID string) error {
	resp, err := p.client.DeleteInvites(ctx, site, []string{inviteID})
	if err != nil {
		return err
	}
	switch {
	case slices.Contains(resp.Deleted, inviteID):
		return nil
	case slices.Contains(resp.Invalid, inviteID):
		return &provider.NotFoundError{What: "invite", Message: "WordPress.com lists the invite key as invalid"}
	}
	return &provider.TransientError{StatusCode: 200, Message: "WordPress.com answered the delete without listing the invite as deleted or invalid"}
}

// Resend emails an invite again.
func (p *Provider) Resend(ctx context.Context, r provider.ResendRequest) (provider.Resent, error) {
	return provider.Resent{InviteID: r.InviteID}, p.client.ResendInvite(ctx, r.Site, r.InviteID)
}

// Verify reads /me with the token.
func (p *Provider) Verify(ctx context.Context) error { return p.client.Me(ctx) }
