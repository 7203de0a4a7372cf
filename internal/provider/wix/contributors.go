package wix

import (
	"context"
	"net/http"
)

// Contributor is one person who accepted an invite to a site.
type Contributor struct {
	ID           string `json:"id"`
	InvitedEmail string `json:"invitedEmail"`
	MetaData     struct {
		ID          string `json:"id"`
		Email       string `json:"email"`
		Assignments []struct {
			Policy struct {
				ID string `json:"id"`
			} `json:"policy"`
		} `json:"assignments"`
	} `json:"metaData"`
}

// Email is the address the contributor was invited with, falling back to their account email.
func (c Contributor) Email() string {
	if c.InvitedEmail != "" {
		return c.InvitedEmail
	}
	return c.MetaData.Email
}

// Roles are the policy IDs assigned to the contributor.
func (c Contributor) Roles() []string {
	var roles []string
	for _, a := range c.MetaData.Assignments {
		if a.Policy.ID != "" {
			roles = append(roles, a.Policy.ID)
		}
	}
	return roles
}

type contributorsResponse struct {
	Contributors []Contributor `json:"contributors"`
}

// QueryContributors lists the site's contributors (accepted invites). Wix documents no paging for it.
func (c *Client) QueryContributors(ctx context.Context, siteID string) ([]Contributor, error) {
	var out contributorsResponse
	if err := c.call(ctx, "contributors", http.MethodGet, "/roles-management/v2/contributors/query", siteID, nil, &out, false); err != nil {
		return nil, err
	}
	return out.Contributors, nil
}

type rolesResponse struct {
	PredefinedRoles []struct {
		ID string `json:"id"`
	} `json:"predefinedRoles"`
	CustomRoles []struct {
		ID string `json:"id"`
	} `json:"customRoles"`
}

// GetRoles reads the account's site-level roles: Wix's cheapest authenticated read for an account key.
func (c *Client) GetRoles(ctx context.Context) (int, error) {
	var out rolesResponse
	if err := c.call(ctx, "roles", http.MethodGet, "/roles-management/roles?locale=en&filter.roleLevel=SITE_LEVEL", "", nil, &out, false); err != nil {
		return 0, err
	}
	return len(out.PredefinedRoles) + len(out.CustomRoles), nil
}
