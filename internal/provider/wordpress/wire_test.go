package wordpress

import (
	"context"
	"testing"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providertest"
)

const testToken = "wpcom-secret-token"

// TestRequestsMatchTheWireFormat compares the bytes each call puts on the wire with the documented
// invites/new request and the shapes Automattic's own clients use for the undocumented endpoints
// (shared/reference/providers.md, section 2).
func TestRequestsMatchTheWireFormat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		answer string
		call   func(*Client) error
		line   string
		body   string
		json   bool
	}{
		{
			name:   "invites/new with message and external flag",
			answer: `{"sent":[],"errors":{}}`,
			call: func(c *Client) error {
				_, err := c.NewInvites(context.Background(), "example.wordpress.com", NewInvitesRequest{
					Invitees: []string{"ada@example.com", "grace@example.com"}, Role: "author", Message: "Welcome", IsExternal: true})
				return err
			},
			line: "POST /rest/v1.1/sites/example.wordpress.com/invites/new HTTP/1.1",
			body: `{"invitees":["ada@example.com","grace@example.com"],"role":"author","message":"Welcome","is_external":true}`,
			json: true,
		},
		{
			name:   "invites/new without options",
			answer: `{"sent":[],"errors":[]}`,
			call: func(c *Client) error {
				_, err := c.NewInvites(context.Background(), "123", NewInvitesRequest{Invitees: []string{"a@b.co"}, Role: "editor"})
				return err
			},
			line: "POST /rest/v1.1/sites/123/invites/new HTTP/1.1",
			body: `{"invitees":["a@b.co"],"role":"editor"}`,
			json: true,
		},
		{
			name:   "list invites, first page",
			answer: `{"found":0,"invites":[]}`,
			call: func(c *Client) error {
				_, err := c.ListInvites(context.Background(), "123", func(string) bool { return true })
				return err
			},
			line: "GET /rest/v1.1/sites/123/invites?number=100&offset=0&status=all HTTP/1.1",
		},
		{
			name:   "resend",
			answer: `{"success":true}`,
			call:   func(c *Client) error { return c.ResendInvite(context.Background(), "123", "abc123") },
			line:   "POST /rest/v1.1/sites/123/invites/abc123/resend HTTP/1.1",
		},
		{
			name:   "delete through wpcom/v2",
			answer: `{"deleted":["abc123"],"invalid":[]}`,
			call: func(c *Client) error {
				_, err := c.DeleteInvites(context.Background(), "123", []string{"abc123"})
				return err
			},
			line: "POST /wpcom/v2/sites/123/invites/delete HTTP/1.1",
			body: `{"invite_ids":["abc123"]}`,
			json: true,
		},
		{
			name:   "member search",
			answer: `{"found":0,"users":[]}`,
			call: func(c *Client) error {
				_, err := c.FindMember(context.Background(), "123", "ada+x@example.com")
				return err
			},
			line: "GET /rest/v1.1/sites/123/users?number=5&search=ada%2Bx%40example.com&search_columns%5B%5D=user_email HTTP/1.1",
		},
		{
			name:   "me, the credential check",
			answer: `{"ID":1}`,
			call:   func(c *Client) error { return c.Me(context.Background()) },
			line:   "GET /rest/v1.1/me HTTP/1.1",
		},
		{
			name:   "a site cannot change the path",
			answer: `{"found":0,"invites":[]}`,
			call: func(c *Client) error {
				_, err := c.ListInvites(context.Background(), "../me?x=1", func(string) bool { return true })
				return err
			},
			line: "GET /rest/v1.1/sites/..%2Fme%3Fx=1/invites?number=100&offset=0&status=all HTTP/1.1",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := providertest.CaptureOne(t, tc.answer, func(url string) error {
				c, err := New(provider.Config{Credential: testToken, BaseURL: url})
				if err != nil {
					return err
				}
				return tc.call(c)
			})
			if r.Line != tc.line {
				t.Errorf("request line\n got %s\nwant %s", r.Line, tc.line)
			}
			if got, _ := r.Header("Authorization"); got != "Bearer "+testToken {
				t.Errorf("Authorization = %q", got)
			}
			if got, _ := r.Header("User-Agent"); got != "invitation-operator/dev" {
				t.Errorf("User-Agent = %q", got)
			}
			ct, hasCT := r.Header("Content-Type")
			if tc.json != hasCT || (hasCT && ct != "application/json") {
				t.Errorf("Content-Type = %q (present %v), want JSON %v", ct, hasCT, tc.json)
			}
			if r.Body != tc.body {
				t.Errorf("body\n got %s\nwant %s", r.Body, tc.body)
			}
		})
	}
}
