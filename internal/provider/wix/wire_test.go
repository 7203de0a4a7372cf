package wix

import (
	"context"
	"strings"
	"testing"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providertest"
)

const (
	testKey     = "IST.secret-api-key"
	testAccount = "0b5c4f8e-2a61-4c3e-9d47-6f0a1b2c3d4e"
	testSite    = "1f2d3c4b-5a69-4788-99aa-bbccddeeff00"
)

// TestRequestsMatchTheOfficialSDK compares the bytes each call puts on the wire with what the official
// JavaScript SDK was seen to send (shared/reference/providers.md, section 0): method, path, header names
// and values, body with the SDK's key order, unset options omitted.
func TestRequestsMatchTheOfficialSDK(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		answer   string
		call     func(*Client) error
		line     string
		body     string
		noSite   bool
		noAccept bool
	}{
		{
			name:   "bulk invite with every option the SDK sends",
			answer: `{"invites":[],"failedEmails":[]}`,
			call: func(c *Client) error {
				_, err := c.BulkInvite(context.Background(), testSite, BulkInviteRequest{PolicyIDs: []string{"6600344420111308827"},
					Emails: []string{"ada@example.com", "grace@example.com"}, InvitePurpose: "Run the shop", DefaultEmailLanguage: "en"})
				return err
			},
			line: "POST /invites/site-invite/bulk HTTP/1.1",
			body: `{"policyIds":["6600344420111308827"],"emails":["ada@example.com","grace@example.com"],"invitePurpose":"Run the shop","defaultEmailLanguage":"en"}`,
		},
		{
			name:   "bulk invite omits unset options and sends locations only when set",
			answer: `{"invites":[],"failedEmails":[]}`,
			call: func(c *Client) error {
				_, err := c.BulkInvite(context.Background(), testSite, BulkInviteRequest{PolicyIDs: []string{"1"}, Emails: []string{"a@b.co"},
					LocationRestriction: &LocationRestriction{LocationIDs: []string{"l1"}}})
				return err
			},
			line: "POST /invites/site-invite/bulk HTTP/1.1",
			body: `{"policyIds":["1"],"emails":["a@b.co"],"locationRestriction":{"locationIds":["l1"]}}`,
		},
		{
			name:   "resend with a language",
			answer: `{"invite":{"id":"inv-1"}}`,
			call: func(c *Client) error {
				_, err := c.ResendInvite(context.Background(), testSite, "inv-1", "fr")
				return err
			},
			line: "POST /invites/site-invite/inv-1/resend HTTP/1.1",
			body: `{"inviteId":"inv-1","defaultEmailLanguage":"fr"}`,
		},
		{
			name:   "resend without a language",
			answer: `{"invite":{"id":"inv-1"}}`,
			call: func(c *Client) error {
				_, err := c.ResendInvite(context.Background(), testSite, "inv-1", "")
				return err
			},
			line: "POST /invites/site-invite/inv-1/resend HTTP/1.1",
			body: `{"inviteId":"inv-1"}`,
		},
		{
			name:   "revoke",
			answer: `{}`,
			call:   func(c *Client) error { return c.RevokeInvite(context.Background(), testSite, "inv-1") },
			line:   "POST /invites/site-invite/inv-1/revoke HTTP/1.1",
			body:   `{"inviteId":"inv-1"}`,
		},
		{
			name:   "an invite ID cannot change the path",
			answer: `{}`,
			call:   func(c *Client) error { return c.RevokeInvite(context.Background(), testSite, "../../x?y") },
			line:   "POST /invites/site-invite/..%2F..%2Fx%3Fy/revoke HTTP/1.1",
			body:   `{"inviteId":"../../x?y"}`,
		},
		{
			name:     "contributors query",
			answer:   `{"contributors":[]}`,
			call:     func(c *Client) error { _, err := c.QueryContributors(context.Background(), testSite); return err },
			line:     "GET /roles-management/v2/contributors/query HTTP/1.1",
			noAccept: true,
		},
		{
			name:     "roles, the credential check",
			answer:   `{"predefinedRoles":[],"customRoles":[]}`,
			call:     func(c *Client) error { _, err := c.GetRoles(context.Background()); return err },
			line:     "GET /roles-management/roles?locale=en&filter.roleLevel=SITE_LEVEL HTTP/1.1",
			noSite:   true,
			noAccept: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := providertest.CaptureOne(t, tc.answer, func(url string) error {
				c, err := New(provider.Config{Credential: testKey, AccountID: testAccount, BaseURL: url})
				if err != nil {
					return err
				}
				return tc.call(c)
			})
			if r.Line != tc.line {
				t.Errorf("request line\n got %s\nwant %s", r.Line, tc.line)
			}
			want := map[string]string{"authorization": testKey, "wix-account-id": testAccount, "wix-site-id": testSite,
				"content-type": "application/json", "User-Agent": "invitation-operator/dev"}
			if tc.noSite {
				delete(want, "wix-site-id")
			}
			if tc.noAccept {
				delete(want, "content-type")
			}
			for name, value := range want {
				if got, ok := r.Header(name); !ok || got != value {
					t.Errorf("header %q = %q (present %v), want %q; headers: %q", name, got, ok, value, r.Headers)
				}
			}
			for _, h := range r.Headers {
				if strings.HasPrefix(strings.ToLower(h), "authorization: bearer") {
					t.Errorf("the API key must be sent raw, without Bearer: %q", h)
				}
			}
			if _, ok := r.Header("wix-site-id"); tc.noSite && ok {
				t.Errorf("wix-site-id sent on an account-level call")
			}
			if r.Body != tc.body {
				t.Errorf("body\n got %s\nwant %s", r.Body, tc.body)
			}
		})
	}
}

// TestAccountHeaderOnlyWhenConfigured: the SDK sends wix-account-id only when configured.
func TestAccountHeaderOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	url, captured := providertest.CaptureServer(t, 200, `{"contributors":[]}`)
	c, err := New(provider.Config{Credential: testKey, BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueryContributors(context.Background(), testSite); err != nil {
		t.Fatal(err)
	}
	if _, ok := captured()[0].Header("wix-account-id"); ok {
		t.Error("wix-account-id sent without an account ID configured")
	}
}
