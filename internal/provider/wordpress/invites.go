package wordpress

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/httpapi"
)

// NewInvitesRequest is the JSON body of POST /rest/v1.1/sites/$site/invites/new.
type NewInvitesRequest struct {
	Invitees   []string `json:"invitees"`
	Role       string   `json:"role"`
	Message    string   `json:"message,omitempty"`
	IsExternal bool     `json:"is_external,omitempty"`
}

// NewInvitesResponse is invites/new's 200 answer: who was sent an invite, and an error per invitee that
// was not (keyed by the exact input string). Errors is raw because PHP encodes an empty map as [] or {}.
type NewInvitesResponse struct {
	Sent   []string        `json:"sent"`
	Errors json.RawMessage `json:"errors"`
}

// InviteeErrors decodes Errors: {} , [] and null are empty; otherwise a map from invitee to WP_Error.
func (r *NewInvitesResponse) InviteeErrors() (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(r.Errors)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, nil
	}
	if trimmed[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(trimmed, &list); err != nil || len(list) > 0 {
			return nil, fmt.Errorf("errors is a non-empty list, not a map of invitees")
		}
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// NewInvites sends invites. Not idempotent.
func (c *Client) NewInvites(ctx context.Context, site string, req NewInvitesRequest) (*NewInvitesResponse, error) {
	var out NewInvitesResponse
	if err := c.call(ctx, "invite", http.MethodPost, sitePath("rest/v1.1", site, "invites/new"), req, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// Invite is one entry of the invites list.
type Invite struct {
	InviteKey    string     `json:"invite_key"`
	Role         string     `json:"role"`
	IsPending    bool       `json:"is_pending"`
	InviteDate   string     `json:"invite_date"`
	AcceptedDate *string    `json:"accepted_date"`
	User         InviteUser `json:"user"`
}

// InviteUser is the invited person; Email is false (decoded as "") for username invites.
type InviteUser struct {
	Login string
	Email string
}

// UnmarshalJSON accepts "email": false as well as a string.
func (u *InviteUser) UnmarshalJSON(b []byte) error {
	var raw struct {
		Login json.RawMessage `json:"login"`
		Email json.RawMessage `json:"email"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	_ = json.Unmarshal(raw.Login, &u.Login)
	_ = json.Unmarshal(raw.Email, &u.Email) // false or null leave it empty
	return nil
}

type listInvitesResponse struct {
	Found   int      `json:"found"`
	Invites []Invite `json:"invites"`
}

// ListPageSize is how many invites one list request asks for (Calypso asks for 100).
const ListPageSize = 100

// ListInvites pages through the site's invites (pending and accepted) until it has `found` of them, keeping
// only those whose email keep wants, within the listing caps (provider.MaxListEntries, MaxListBytes).
func (c *Client) ListInvites(ctx context.Context, site string, keep func(email string) bool) ([]Invite, error) {
	var kept []Invite
	l := provider.StartListing(ctx, "the invites listing of "+site)
	for scanned := 0; ; {
		q := url.Values{"status": {"all"}, "number": {fmt.Sprint(ListPageSize)}, "offset": {fmt.Sprint(scanned)}}
		var out listInvitesResponse
		call := httpapi.Call{Op: "list", Method: http.MethodGet, URL: c.base + sitePath("rest/v1.1", site, "invites") + "?" + q.Encode(),
			Received: &l.Bytes}
		if err := c.send(ctx, call, nil, &out); err != nil {
			return nil, err
		}
		for _, inv := range out.Invites {
			if e := strings.ToLower(inv.User.Email); e != "" && keep(e) {
				kept = append(kept, inv)
			}
		}
		scanned += len(out.Invites)
		if err := l.Page(len(out.Invites)); err != nil {
			return nil, err
		}
		if len(out.Invites) == 0 || scanned >= out.Found {
			return kept, nil
		}
	}
}

// ResendInvite emails an invite again. Not idempotent. WordPress.com's answer body is undocumented and
// ignored; a 2xx is success.
func (c *Client) ResendInvite(ctx context.Context, site, inviteKey string) error {
	return c.call(ctx, "resend", http.MethodPost, sitePath("rest/v1.1", site, "invites/"+httpapi.PathEscape(inviteKey)+"/resend"), nil, nil, true)
}

type deleteInvitesRequest struct {
	InviteIDs []string `json:"invite_ids"`
}

// DeleteInvitesResponse says which keys were deleted and which were not valid invites. A 200 does not mean
// anything was deleted.
type DeleteInvitesResponse struct {
	Deleted []string `json:"deleted"`
	Invalid []string `json:"invalid"`
}

// DeleteInvites revokes invites through the wpcom/v2 namespace.
func (c *Client) DeleteInvites(ctx context.Context, site string, keys []string) (*DeleteInvitesResponse, error) {
	var out DeleteInvitesResponse
	path := sitePath("wpcom/v2", site, "invites/delete")
	if err := c.call(ctx, "revoke", http.MethodPost, path, deleteInvitesRequest{InviteIDs: keys}, &out, false); err != nil {
		return nil, err
	}
	return &out, nil
}
