package ghost

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providertest"
)

// TestRequestsMatchTheWireFormat compares the bytes each call puts on the wire with what the real Ghost
// 5.130.6 accepted (docs/providers.md, "Ghost"): paths with a trailing slash, one invite per POST, the
// Ghost scheme with a fresh JWT, Accept-Version.
func TestRequestsMatchTheWireFormat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		answer string
		call   func(*Client, string) error
		line   string
		body   string
	}{
		{"roles", `{"roles":[]}`, func(c *Client, s string) error { _, err := c.AssignableRoles(context.Background(), s); return err },
			"GET /blog/ghost/api/admin/roles/?permissions=assign HTTP/1.1", ""},
		{"create", bodyCreated, func(c *Client, s string) error {
			_, err := c.CreateInvite(context.Background(), s, "ada@example.com", "r-author", "Author")
			return err
		}, "POST /blog/ghost/api/admin/invites/ HTTP/1.1", `{"invites":[{"email":"ada@example.com","role_id":"r-author"}]}`},
		{"list, first page", `{"invites":[],"meta":{"pagination":{"page":1,"limit":100,"pages":1,"total":0,"next":null,"prev":null}}}`,
			func(c *Client, s string) error { _, err := c.ListInvites(context.Background(), s, ""); return err },
			"GET /blog/ghost/api/admin/invites/?limit=100&page=1 HTTP/1.1", ""},
		{"list, filtered", `{"invites":[],"meta":{"pagination":{"next":null}}}`,
			func(c *Client, s string) error {
				_, err := c.ListInvites(context.Background(), s, EmailFilter([]string{"ada@example.com", "o'neil@example.com"}))
				return err
			},
			"GET /blog/ghost/api/admin/invites/?filter=email%3A%5B%27ada%40example.com%27%2C%27o%5C%27neil%40example.com%27%5D&limit=100&page=1 HTTP/1.1", ""},
		{"read", bodyCreated, func(c *Client, s string) error {
			_, err := c.GetInvite(context.Background(), s, "6b0e8e5e3c05b74a4ac611cd")
			return err
		},
			"GET /blog/ghost/api/admin/invites/6b0e8e5e3c05b74a4ac611cd/ HTTP/1.1", ""},
		{"delete", ``, func(c *Client, s string) error {
			return c.DeleteInvite(context.Background(), s, "6b0e8e5e3c05b74a4ac611cd")
		},
			"DELETE /blog/ghost/api/admin/invites/6b0e8e5e3c05b74a4ac611cd/ HTTP/1.1", ""},
		{"users", `{"users":[],"meta":{"pagination":{"next":null}}}`,
			func(c *Client, s string) error { _, err := c.ListUsers(context.Background(), s, ""); return err },
			"GET /blog/ghost/api/admin/users/?include=roles&limit=100&page=1 HTTP/1.1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base, captured := providertest.CaptureServer(t, 200, tc.answer)
			site := "https://blog.example.com/blog"
			c, err := New(provider.Config{Type: provider.Ghost, Credential: testKey, Sites: []string{site}, BaseURL: base, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.call(c, site); err != nil {
				t.Fatal(err)
			}
			reqs := captured()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Line != tc.line || r.Body != tc.body {
				t.Errorf("request\n got %s %s\nwant %s %s", r.Line, r.Body, tc.line, tc.body)
			}
			auth, _ := r.Header("Authorization")
			token, ok := strings.CutPrefix(auth, "Ghost ")
			if !ok || verify(token, testKey, time.Now()) != nil {
				t.Errorf("Authorization %q is not a valid Ghost token for the key", auth)
			}
			if v, _ := r.Header("Accept-Version"); v != AcceptVersion {
				t.Errorf("Accept-Version %q", v)
			}
			if ct, ok := r.Header("Content-Type"); (tc.body != "") != ok || (ok && ct != "application/json") {
				t.Errorf("Content-Type %q (present %v)", ct, ok)
			}
		})
	}
}
