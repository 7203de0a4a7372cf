package ghost

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/siteops/invitation-operator/internal/provider"
)

// Role is a staff role. Ids are random per install, so roles are named by Name and resolved per site.
type Role struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AssignableRoles lists the roles this key may give, GET /roles/?permissions=assign. Both key kinds may
// read it.
func (c *Client) AssignableRoles(ctx context.Context, site string) ([]Role, error) {
	var out struct {
		Roles []Role `json:"roles"`
	}
	if err := c.call(ctx, request{site: site, op: "roles", method: http.MethodGet, path: "/roles/?permissions=assign", out: &out}); err != nil {
		return nil, err
	}
	return out.Roles, nil
}

// User is a staff user of a site: whoever accepted an invite, and the people who were there before.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// Status is "active", "inactive" (suspended), "locked" or a "warn-" level.
	Status string `json:"status"`
	Roles  []Role `json:"roles"`
}

// ListUsers pages through the site's staff users with their roles. filter is an NQL filter (empty for
// all). Integration keys may read users too: acceptance is observable with either key kind.
func (c *Client) ListUsers(ctx context.Context, site, filter string) ([]User, error) {
	return c.listUsers(ctx, site, filter, func(string) bool { return true })
}

// listUsers is ListUsers keeping only the users whose email keep wants, within the listing caps.
func (c *Client) listUsers(ctx context.Context, site, filter string, keep func(email string) bool) ([]User, error) {
	var kept []User
	l := provider.StartListing(ctx, "the users listing of "+site)
	for page := 1; ; page++ {
		q := url.Values{"limit": {fmt.Sprint(PageSize)}, "page": {fmt.Sprint(page)}, "include": {"roles"}}
		if filter != "" {
			q.Set("filter", filter)
		}
		var out struct {
			Users []User `json:"users"`
			Meta  struct {
				Pagination Pagination `json:"pagination"`
			} `json:"meta"`
		}
		if err := c.call(ctx, request{site: site, op: "users", method: http.MethodGet, path: "/users/?" + q.Encode(), out: &out,
			received: &l.Bytes}); err != nil {
			return nil, err
		}
		for _, u := range out.Users {
			if keep(strings.ToLower(u.Email)) {
				kept = append(kept, u)
			}
		}
		if err := l.Page(len(out.Users)); err != nil {
			return nil, err
		}
		if p := out.Meta.Pagination; p.Next == nil || *p.Next <= page || len(out.Users) == 0 {
			return kept, nil
		}
	}
}
