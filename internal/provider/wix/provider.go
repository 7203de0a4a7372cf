package wix

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
)

// DefaultBatchSize keeps a Wix batch small: Wix lists no pending invites, so a request whose answer is lost
// leaves every email in it in doubt.
const DefaultBatchSize = 5

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

// Capabilities reports the batch size; Wix cannot list pending invites.
func (p *Provider) Capabilities() provider.Capabilities {
	return provider.Capabilities{BatchSize: p.batchSize, ListsPending: false, Revokes: true}
}

// Send calls bulk invite and reads the answer per email: listed in invites → sent; in failedEmails →
// rejected (Wix gives no reason; when the email is already a contributor the reason says so); in neither
// → outcome unknown.
func (p *Provider) Send(ctx context.Context, b provider.Batch) ([]provider.Outcome, error) {
	req := BulkInviteRequest{PolicyIDs: b.Roles, Emails: b.Emails, InvitePurpose: b.Purpose, DefaultEmailLanguage: b.Language}
	if len(b.LocationIDs) > 0 {
		req.LocationRestriction = &LocationRestriction{LocationIDs: b.LocationIDs}
	}
	resp, err := p.client.BulkInvite(ctx, b.Site, req)
	if err != nil {
		return nil, err
	}
	invited := make(map[string]SiteInvite, len(resp.Invites))
	for _, inv := range resp.Invites {
		invited[strings.ToLower(inv.Email)] = inv
	}
	failed := make(map[string]bool, len(resp.FailedEmails))
	for _, e := range resp.FailedEmails {
		failed[strings.ToLower(e)] = true
	}
	var members map[string]bool
	if len(failed) > 0 {
		members = p.contributorEmails(ctx, b.Site)
	}
	out := make([]provider.Outcome, len(b.Emails))
	for i, email := range b.Emails {
		out[i].Email = email
		switch inv, ok := invited[email]; {
		case ok:
			out[i].InviteID, out[i].ExpiresAt = inv.ID, parseTime(inv.ExpirationDate)
		case failed[email] && members[email]:
			out[i].Err = &provider.PermanentError{Reason: provider.ReasonAlreadyMember, Code: "failedEmails",
				Message: "already a contributor of the site"}
		case failed[email]:
			out[i].Err = &provider.PermanentError{Reason: provider.ReasonRejected, Code: "failedEmails",
				Message: "Wix listed this email in failedEmails without a reason (an address Wix refuses, or no free collaborator seat)"}
		default:
			out[i].Err = &provider.OutcomeUnknownError{Cause: fmt.Errorf("wix answered without mentioning this email")}
		}
	}
	return out, nil
}

// contributorEmails is a best-effort lookup that only sharpens a failure's reason; on error it returns nil.
func (p *Provider) contributorEmails(ctx context.Context, site string) map[string]bool {
	cs, err := p.client.QueryContributors(ctx, site)
	if err != nil {
		return nil
	}
	m := make(map[string]bool, len(cs))
	for _, c := range cs {
		m[strings.ToLower(c.Email())] = true
	}
	return m
}

// Observe lists accepted contributors; Wix shows nothing about pending invites.
func (p *Provider) Observe(ctx context.Context, site string, q provider.Query) ([]provider.Observation, error) {
	cs, err := p.client.QueryContributors(ctx, site)
	if err != nil {
		return nil, err
	}
	out := make([]provider.Observation, 0, len(cs))
	wanted := q.Wanted()
	for _, c := range cs {
		if c.Email() == "" || !wanted(strings.ToLower(c.Email())) {
			continue
		}
		out = append(out, provider.Observation{Email: strings.ToLower(c.Email()), State: provider.Accepted, Roles: c.Roles()})
	}
	return out, nil
}

// Revoke withdraws a pending invite by its ID.
func (p *Provider) Revoke(ctx context.Context, site, inviteID string) error {
	return p.client.RevokeInvite(ctx, site, inviteID)
}

// Resend emails an invite again.
func (p *Provider) Resend(ctx context.Context, r provider.ResendRequest) (provider.Resent, error) {
	inv, err := p.client.ResendInvite(ctx, r.Site, r.InviteID, r.Language)
	if err != nil {
		return provider.Resent{}, err
	}
	return provider.Resent{InviteID: cmp.Or(inv.ID, r.InviteID), ExpiresAt: parseTime(inv.ExpirationDate)}, nil
}

// parseTime reads one of Wix's RFC 3339 timestamps; an absent or unreadable one is zero (unknown).
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Verify reads the account's roles when an account ID is configured; without one Wix offers no read that
// needs no site, so it returns provider.ErrNotVerifiable.
func (p *Provider) Verify(ctx context.Context) error {
	if p.client.accountID == "" {
		return provider.ErrNotVerifiable
	}
	_, err := p.client.GetRoles(ctx)
	return err
}
