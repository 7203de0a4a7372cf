package ghost

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
)

// BatchSize is 1: Ghost's POST /invites/ takes one invite per call.
const BatchSize = 1

// Provider adapts Client to provider.Client. With a staff access token it creates, lists, reads and
// deletes invites (observable, like WordPress.com); with an integration key Ghost lets it only create
// them (create-only, like Wix), though it may still read users, so acceptance is observable either way.
type Provider struct {
	client *Client
	staff  bool
	now    func() time.Time

	mu    sync.Mutex
	roles map[string][]Role // site → roles the key may assign, fetched once per site
}

var _ provider.Client = (*Provider)(nil)

// NewProvider builds the adapter for cfg; cfg.StaffToken says which kind of key cfg.Credential is, and
// Verify checks that it is. cfg.BatchSize is ignored: Ghost takes one invite per call.
func NewProvider(cfg provider.Config) (*Provider, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &Provider{client: c, staff: cfg.StaffToken, now: time.Now, roles: map[string][]Role{}}, nil
}

// Capabilities reports one invite per call; pending invites are listed and revoked with a staff token
// only; a new invite for an email replaces its pending one with either key.
func (p *Provider) Capabilities() provider.Capabilities {
	return provider.Capabilities{BatchSize: BatchSize, ListsPending: p.staff, Revokes: p.staff, SendReplaces: true}
}

// Send creates the batch's one invite. Rejections that concern the email (already a member, not an
// address) are the outcome's error; those that concern the request (the role, the credential) are the
// returned error, so the caller does not repeat them for every email. A 500 EmailError is the outcome's
// *provider.UndeliveredError: the invite is stored, nobody was emailed, and sending again replaces it.
func (p *Provider) Send(ctx context.Context, b provider.Batch) ([]provider.Outcome, error) {
	if len(b.Emails) != 1 {
		return nil, fmt.Errorf("ghost: a batch holds exactly one email (got %d); Ghost takes one invite per call", len(b.Emails))
	}
	role, roleID, err := p.role(ctx, b.Site, b.Roles)
	if err != nil {
		return nil, err
	}
	email := b.Emails[0]
	inv, err := p.client.CreateInvite(ctx, b.Site, email, roleID, role)
	var perm *provider.PermanentError
	var undelivered *provider.UndeliveredError
	switch {
	case err == nil:
		return []provider.Outcome{{Email: email, InviteID: inv.ID, ExpiresAt: inv.ExpiresAt()}}, nil
	case errors.As(err, &undelivered):
		return []provider.Outcome{{Email: email, Err: err}}, nil
	case errors.As(err, &perm) && (perm.Reason == provider.ReasonAlreadyMember || perm.Reason == provider.ReasonInvalidEmail):
		return []provider.Outcome{{Email: email, Err: err}}, nil
	}
	return nil, err
}

// ghostRoles are the staff roles every Ghost 5 site has; a name among them that the key may not assign
// is RoleNotAllowed rather than UnknownRole.
var ghostRoles = []string{"Administrator", "Editor", "Author", "Contributor", "Super Editor", "Owner"}

// role resolves the batch's one role name (case-insensitive) to this site's role id.
func (p *Provider) role(ctx context.Context, site string, names []string) (name, id string, err error) {
	if len(names) != 1 {
		return "", "", &provider.PermanentError{Reason: provider.ReasonUnknownRole, Message: "Ghost invites take exactly one role"}
	}
	roles, err := p.assignable(ctx, site)
	if err != nil {
		return "", "", err
	}
	for _, r := range roles {
		if strings.EqualFold(r.Name, names[0]) {
			return r.Name, r.ID, nil
		}
	}
	if i := slices.IndexFunc(ghostRoles, func(r string) bool { return strings.EqualFold(r, names[0]) }); i >= 0 {
		return "", "", &provider.PermanentError{Reason: provider.ReasonRoleNotAllowed, Code: "permissions=assign",
			Message: fmt.Sprintf("this key may not invite people as %s on this site", ghostRoles[i])}
	}
	return "", "", &provider.PermanentError{Reason: provider.ReasonUnknownRole, Code: "permissions=assign",
		Message: fmt.Sprintf("Ghost has no role %q; roles are Contributor, Author, Editor, Super Editor, Administrator", names[0])}
}

// assignable returns the site's assignable roles, read once per site: Ghost's roles are fixed.
func (p *Provider) assignable(ctx context.Context, site string) ([]Role, error) {
	site, err := provider.NormalizeSite(site)
	if err != nil {
		return nil, &provider.PermanentError{Reason: provider.ReasonSiteNotFound, Message: err.Error()}
	}
	p.mu.Lock()
	roles, ok := p.roles[site]
	p.mu.Unlock()
	if ok {
		return roles, nil
	}
	if roles, err = p.client.AssignableRoles(ctx, site); err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.roles[site] = roles
	p.mu.Unlock()
	return roles, nil
}

// roleNames maps role ids to names for a listing; ids the key may not assign stay unnamed.
func (p *Provider) roleNames(ctx context.Context, site string) map[string]string {
	roles, err := p.assignable(ctx, site)
	if err != nil {
		return nil
	}
	m := make(map[string]string, len(roles))
	for _, r := range roles {
		m[r.ID] = r.Name
	}
	return m
}

// Observe lists the site's staff users (Accepted: an accepted invite disappears and its person becomes
// a user) and, with a staff token, its invites: "sent" and not lapsed is Pending, lapsed is Expired,
// "pending" (stored but never emailed) is Undelivered. Every user is listed, so lookup is not needed.
func (p *Provider) Observe(ctx context.Context, site string, q provider.Query) ([]provider.Observation, error) {
	byEmail := map[string]provider.Observation{}
	wanted := q.Wanted()
	if p.staff {
		invites, err := p.client.listInvites(ctx, site, "", wanted)
		if err != nil {
			return nil, err
		}
		names := p.roleNames(ctx, site)
		now := p.now()
		for _, inv := range invites {
			o := provider.Observation{Email: strings.ToLower(inv.Email), InviteID: inv.ID, State: inviteState(inv, now), ExpiresAt: inv.ExpiresAt()}
			if n := names[inv.RoleID]; n != "" {
				o.Roles = []string{n}
			}
			byEmail[o.Email] = o // Ghost keeps at most one invite per email
		}
	}
	users, err := p.client.listUsers(ctx, site, "", wanted)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		o := provider.Observation{Email: strings.ToLower(u.Email), State: provider.Accepted}
		for _, r := range u.Roles {
			o.Roles = append(o.Roles, r.Name)
		}
		byEmail[o.Email] = o
	}
	out := make([]provider.Observation, 0, len(byEmail))
	for _, o := range byEmail {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b provider.Observation) int { return strings.Compare(a.Email, b.Email) })
	return out, nil
}

// inviteState reads an invite. Ghost keeps a lapsed invite as "sent" and refuses to accept it.
func inviteState(inv Invite, now time.Time) provider.State {
	switch {
	case inv.Status != StatusSent:
		return provider.Undelivered
	case inv.Expires > 0 && !now.Before(inv.ExpiresAt()):
		return provider.Expired
	}
	return provider.Pending
}

// errIntegrationKey is returned without calling Ghost for what it serves staff access tokens only.
func errIntegrationKey(what string) error {
	return &provider.PermanentError{Reason: provider.ReasonRejected, Code: "NotImplementedError",
		Message: "an integration key cannot " + what + " Ghost invites (Ghost answers 501 to integration keys); use a staff access token"}
}

// Revoke deletes a pending invite (staff access tokens only). An invite that is gone is a
// *provider.NotFoundError.
func (p *Provider) Revoke(ctx context.Context, site, inviteID string) error {
	if !p.staff {
		return errIntegrationKey("revoke")
	}
	return p.client.DeleteInvite(ctx, site, inviteID)
}

// Resend emails the invite again. Ghost has no resend call: a second POST for the same email deletes the
// invite and creates a new one (new id, token and expiry; the old link stops working) and emails it, so
// Resend is that POST and returns the new invite. With a staff token it reads the invite first (its email
// and role; an invite that is gone is *provider.NotFoundError, so an accepted person is not re-invited);
// an integration key cannot read invites and re-creates from r.Email and r.Roles.
func (p *Provider) Resend(ctx context.Context, r provider.ResendRequest) (provider.Resent, error) {
	email, roleNames := r.Email, r.Roles
	var roleID, role string
	if p.staff {
		inv, err := p.client.GetInvite(ctx, r.Site, r.InviteID)
		if err != nil {
			return provider.Resent{}, err
		}
		email, roleID = inv.Email, inv.RoleID
		role = p.roleNames(ctx, r.Site)[roleID]
	} else {
		if email == "" {
			return provider.Resent{}, &provider.PermanentError{Reason: provider.ReasonRejected,
				Message: "resending with an integration key needs the invite's email, which Ghost does not let it read"}
		}
		var err error
		if role, roleID, err = p.role(ctx, r.Site, roleNames); err != nil {
			return provider.Resent{}, err
		}
	}
	inv, err := p.client.CreateInvite(ctx, r.Site, email, roleID, role)
	if err != nil {
		return provider.Resent{}, err
	}
	return provider.Resent{InviteID: inv.ID, ExpiresAt: inv.ExpiresAt()}, nil
}

// Verify reads GET /invites/?limit=1 on every pinned site: a cheap authenticated read without side
// effects that also tells the key kinds apart, since Ghost serves it to staff access tokens and answers
// 501 to integration keys, after it has authenticated them (a bad key is 401 first). A key of the other
// kind than cfg.StaffToken declares is a *provider.PermanentError with ReasonKeyTypeMismatch.
func (p *Provider) Verify(ctx context.Context) error {
	for _, site := range p.client.Sites() {
		err := p.client.call(ctx, request{site: site, op: "verify", method: "GET", path: "/invites/?limit=1&fields=id", out: &invitesEnvelope{}})
		var perm *provider.PermanentError
		integration := errors.As(err, &perm) && perm.Code == TypeNotImplemented
		switch {
		case integration && p.staff:
			return &provider.PermanentError{Reason: provider.ReasonKeyTypeMismatch, Code: TypeNotImplemented,
				Message: "this key is an integration key, but the provider says staff token (" + site + " answers 501 to listing invites)"}
		case err == nil && !p.staff:
			return &provider.PermanentError{Reason: provider.ReasonKeyTypeMismatch,
				Message: "this key is a staff access token, but the provider says integration key (" + site + " lets it list invites)"}
		case err != nil && !integration:
			return err
		}
	}
	return nil
}
