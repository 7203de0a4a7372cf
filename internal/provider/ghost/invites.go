package ghost

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/httpapi"
)

// Invite is one invite as the Admin API shows it. The accept token is never part of it.
type Invite struct {
	ID     string `json:"id"`
	RoleID string `json:"role_id"`
	// Status is "pending" from the moment the invite is stored until its email was sent, then "sent".
	// An invite whose mail step failed (500 EmailError) or was cut short (Ghost killed) stays "pending",
	// and Ghost's accept endpoint only accepts "sent" invites.
	Status string `json:"status"`
	Email  string `json:"email"`
	// Expires is epoch milliseconds: created + 7 days. Ghost keeps lapsed invites, still "sent", and its
	// accept endpoint refuses them ("Invite is expired.").
	Expires   int64  `json:"expires"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// The invite statuses Ghost knows.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
)

// ExpiresAt is Expires as a time; zero when absent.
func (i Invite) ExpiresAt() time.Time {
	if i.Expires <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(i.Expires).UTC()
}

type invitesEnvelope struct {
	Invites []Invite `json:"invites"`
	Meta    struct {
		Pagination Pagination `json:"pagination"`
	} `json:"meta"`
}

// Pagination is a browse answer's meta.pagination.
type Pagination struct {
	Page  int  `json:"page"`
	Limit int  `json:"limit"`
	Pages int  `json:"pages"`
	Total int  `json:"total"`
	Next  *int `json:"next"`
}

// PageSize is how many entries one browse request asks for.
const PageSize = 100

// CreateInvite creates one invite and emails it. Not idempotent: an existing invite for the same email is
// deleted and replaced (new id, new token, new expiry; the old link stops working) and the email is sent
// again. role is the role's name, for error messages only.
func (c *Client) CreateInvite(ctx context.Context, site, email, roleID, role string) (*Invite, error) {
	in := map[string]any{"invites": []map[string]string{{"email": email, "role_id": roleID}}}
	var out invitesEnvelope
	classify := func(resp *httpapi.Response, err error) error { return inviteError(resp, err, role) }
	if err := c.call(ctx, request{site: site, op: "invite", method: http.MethodPost, path: "/invites/", in: in, out: &out,
		applies: true, classify: classify}); err != nil {
		return nil, err
	}
	if len(out.Invites) != 1 || out.Invites[0].ID == "" {
		return nil, &provider.OutcomeUnknownError{Cause: fmt.Errorf("ghost invite: the answer carries %d invites, want 1", len(out.Invites))}
	}
	return &out.Invites[0], nil
}

// ListInvites pages through the site's invites (staff access tokens only; integration keys get 501).
// filter is an NQL filter (empty for all). The listing stops at provider.MaxListEntries or MaxListBytes.
func (c *Client) ListInvites(ctx context.Context, site, filter string) ([]Invite, error) {
	return c.listInvites(ctx, site, filter, func(string) bool { return true })
}

// listInvites is ListInvites keeping only the invites whose email keep wants, so memory is bounded by
// what the caller asks about, not by the site.
func (c *Client) listInvites(ctx context.Context, site, filter string, keep func(email string) bool) ([]Invite, error) {
	var kept []Invite
	l := provider.StartListing(ctx, "the invites listing of "+site)
	for page := 1; ; page++ {
		q := url.Values{"limit": {fmt.Sprint(PageSize)}, "page": {fmt.Sprint(page)}}
		if filter != "" {
			q.Set("filter", filter)
		}
		var out invitesEnvelope
		if err := c.call(ctx, request{site: site, op: "list", method: http.MethodGet, path: "/invites/?" + q.Encode(), out: &out,
			received: &l.Bytes}); err != nil {
			return nil, err
		}
		for _, inv := range out.Invites {
			if keep(strings.ToLower(inv.Email)) {
				kept = append(kept, inv)
			}
		}
		if err := l.Page(len(out.Invites)); err != nil {
			return nil, err
		}
		if p := out.Meta.Pagination; p.Next == nil || *p.Next <= page || len(out.Invites) == 0 {
			return kept, nil
		}
	}
}

// GetInvite reads one invite (staff access tokens only). A missing invite is a *provider.NotFoundError.
func (c *Client) GetInvite(ctx context.Context, site, id string) (*Invite, error) {
	var out invitesEnvelope
	if err := c.call(ctx, request{site: site, op: "read", method: http.MethodGet, path: "/invites/" + httpapi.PathEscape(id) + "/", out: &out}); err != nil {
		return nil, notFoundAs(err, "invite")
	}
	if len(out.Invites) != 1 {
		return nil, &provider.TransientError{Message: fmt.Sprintf("ghost read invite: the answer carries %d invites, want 1", len(out.Invites))}
	}
	return &out.Invites[0], nil
}

// DeleteInvite revokes one invite (staff access tokens only): 204, or a *provider.NotFoundError when it
// is gone (revoked, accepted, replaced by a newer invite for the same email).
func (c *Client) DeleteInvite(ctx context.Context, site, id string) error {
	return notFoundAs(c.call(ctx, request{site: site, op: "revoke", method: http.MethodDelete, path: "/invites/" + httpapi.PathEscape(id) + "/"}), "invite")
}

// EmailFilter is an NQL filter matching any of emails: email:['a@x','b@y']. Quotes and backslashes in an
// address are escaped.
func EmailFilter(emails []string) string {
	quoted := make([]string, len(emails))
	for i, e := range emails {
		quoted[i] = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(e) + "'"
	}
	return "email:[" + strings.Join(quoted, ",") + "]"
}

// notFoundAs names what was not found.
func notFoundAs(err error, what string) error {
	if nf, ok := err.(*provider.NotFoundError); ok {
		return &provider.NotFoundError{What: what, Message: nf.Message}
	}
	return err
}
