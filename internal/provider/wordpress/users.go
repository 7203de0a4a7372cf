package wordpress

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// User is a member of a site.
type User struct {
	ID    int64    `json:"ID"`
	Login string   `json:"login"`
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

type usersResponse struct {
	Found int    `json:"found"`
	Users []User `json:"users"`
}

// FindMember searches the site's users by email; it returns nil when no member has that address.
func (c *Client) FindMember(ctx context.Context, site, email string) (*User, error) {
	q := url.Values{"search": {email}, "search_columns[]": {"user_email"}, "number": {"5"}}
	var out usersResponse
	if err := c.call(ctx, "users", http.MethodGet, sitePath("rest/v1.1", site, "users")+"?"+q.Encode(), nil, &out, false); err != nil {
		return nil, err
	}
	for i := range out.Users {
		if strings.EqualFold(out.Users[i].Email, email) {
			return &out.Users[i], nil
		}
	}
	return nil, nil
}

// Me reads the token's own user: the cheapest authenticated read WordPress.com offers.
func (c *Client) Me(ctx context.Context) error {
	var out struct {
		ID int64 `json:"ID"`
	}
	return c.call(ctx, "verify", http.MethodGet, "/rest/v1.1/me", nil, &out, false)
}
