package ghost

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

// sandboxGhost serves the default sandbox seed; staff and integ are providers for its root site.
func sandboxGhost(t *testing.T) (fake *sandbox.Ghost, site string, staff, integ *Provider) {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	fake = sandbox.NewGhost(sandbox.GhostOptions{Sites: cfg.Ghost.Sites})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	build := func(key string, isStaff bool) *Provider {
		p, err := NewProvider(provider.Config{Type: provider.Ghost, Credential: key, Sites: []string{srv.URL, srv.URL + "/docs"}, StaffToken: isStaff, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	return fake, srv.URL, build(cfg.Ghost.Sites[0].StaffKeys[0], true), build(cfg.Ghost.Sites[0].IntegrationKeys[0], false)
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  provider.Config
		want string
	}{
		{"malformed key", provider.Config{Credential: "nope", Sites: []string{testSite}}, "24-hex id"},
		{"no sites", provider.Config{Credential: testKey}, "pins the site URLs"},
		{"a host, not a URL", provider.Config{Credential: testKey, Sites: []string{"blog.example.com"}}, "absolute http(s) URL"},
		{"a URL with credentials", provider.Config{Credential: testKey, Sites: []string{"https://u:p@blog.example.com"}}, "without credentials"},
		{"a URL with a query", provider.Config{Credential: testKey, Sites: []string{"https://blog.example.com/?x=1"}}, "query"},
		{"a bad base URL", provider.Config{Credential: testKey, Sites: []string{testSite}, BaseURL: "ftp://x"}, "base URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewProvider(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), testKeySecret) {
				t.Fatalf("got %v, want an error mentioning %q and not the key", err, tc.want)
			}
		})
	}
}

// TestUnpinnedSitesAreRefusedWithoutACall: the site is where the signed token goes, so a site the
// provider does not pin is refused before anything is sent.
func TestUnpinnedSitesAreRefusedWithoutACall(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls.Add(1) }))
	t.Cleanup(srv.Close)
	p, err := NewProvider(provider.Config{Type: provider.Ghost, Credential: testKey, Sites: []string{srv.URL}, StaffToken: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	other := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	_, sendErr := p.Send(ctx, provider.Batch{Site: other, Emails: []string{"a@example.com"}, Roles: []string{"Author"}})
	_, obsErr := p.Observe(ctx, other, provider.Query{})
	_, resendErr := p.Resend(ctx, provider.ResendRequest{Site: other, InviteID: "x"})
	for _, err := range []error{sendErr, obsErr, p.Revoke(ctx, other, "x"), resendErr} {
		wantPermanent(t, err, provider.ReasonSiteNotFound)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d requests went to an unpinned site's server", n)
	}
	// The same site spelled with an upper-case host or a trailing slash is the pinned one.
	if _, err := p.client.base(strings.ToUpper(srv.URL[:7]) + srv.URL[7:] + "/"); err != nil {
		t.Errorf("normalised site: %v", err)
	}
}

func wantPermanent(t *testing.T, err error, reason string) {
	t.Helper()
	var perm *provider.PermanentError
	if !errors.As(err, &perm) || perm.Reason != reason {
		t.Fatalf("want a permanent %s, got %v", reason, err)
	}
}

func TestSendTakesOneEmailAndOneRole(t *testing.T) {
	t.Parallel()
	_, site, staff, _ := sandboxGhost(t)
	ctx := context.Background()
	if _, err := staff.Send(ctx, provider.Batch{Site: site, Emails: []string{"a@example.com", "b@example.com"}, Roles: []string{"Author"}}); err == nil {
		t.Error("two emails in one batch")
	}
	_, err := staff.Send(ctx, provider.Batch{Site: site, Emails: []string{"a@example.com"}, Roles: []string{"Author", "Editor"}})
	wantPermanent(t, err, provider.ReasonUnknownRole)
	_, err = staff.Send(ctx, provider.Batch{Site: site, Emails: []string{"a@example.com"}, Roles: []string{"Owner"}})
	wantPermanent(t, err, provider.ReasonRoleNotAllowed)
	out, err := staff.Send(ctx, provider.Batch{Site: site, Emails: []string{"a@example.com"}, Roles: []string{"super editor"}})
	if err != nil || out[0].Err != nil {
		t.Fatalf("role names match case-insensitively: %+v %v", out, err)
	}
}

// TestRolesAreReadOncePerSite: many sends, one roles request per site.
func TestRolesAreReadOncePerSite(t *testing.T) {
	t.Parallel()
	fake, site, staff, _ := sandboxGhost(t)
	ctx := context.Background()
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if out, err := staff.Send(ctx, provider.Batch{Site: site, Emails: []string{e}, Roles: []string{"Author"}}); err != nil || out[0].Err != nil {
			t.Fatal(out, err)
		}
	}
	if n := fake.Snapshot().Calls[sandbox.OpVerify]; n != 1 {
		t.Fatalf("%d roles requests for three sends on one site, want 1", n)
	}
}

// TestObserveReadsEveryState: pending, expired (kept, past its expiry), never emailed, accepted.
func TestObserveReadsEveryState(t *testing.T) {
	t.Parallel()
	fake, site, staff, integ := sandboxGhost(t)
	ctx := context.Background()
	for _, e := range []string{"pending@example.com", "lapsed@example.com", "joined@example.com"} {
		if out, err := staff.Send(ctx, provider.Batch{Site: site, Emails: []string{e}, Roles: []string{"Author"}}); err != nil || out[0].Err != nil {
			t.Fatal(out, err)
		}
	}
	fake.SetMailDown(true)
	_, _ = staff.Send(ctx, provider.Batch{Site: site, Emails: []string{"unmailed@example.com"}, Roles: []string{"Author"}})
	fake.SetMailDown(false)
	if err := fake.Expire("/", "lapsed@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := fake.Accept("/", "joined@example.com"); err != nil {
		t.Fatal(err)
	}
	want := map[string]provider.State{"pending@example.com": provider.Pending, "lapsed@example.com": provider.Expired,
		"unmailed@example.com": provider.Undelivered, "joined@example.com": provider.Accepted, "owner@example.com": provider.Accepted,
		"editor@example.com": provider.Accepted}
	obs, err := staff.Observe(ctx, site, provider.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != len(want) {
		t.Fatalf("observed %+v", obs)
	}
	for _, o := range obs {
		if o.State != want[o.Email] {
			t.Errorf("%s: %s, want %s", o.Email, o.State, want[o.Email])
		}
		if o.State == provider.Pending && (o.InviteID == "" || o.ExpiresAt.IsZero() || o.Roles[0] != "Author") {
			t.Errorf("a pending invite carries its key, expiry and role: %+v", o)
		}
	}
	obs, err = integ.Observe(ctx, site, provider.Query{})
	if err != nil || len(obs) != 3 {
		t.Fatalf("an integration key sees the users only: %+v %v", obs, err)
	}
}

func TestIntegrationKeyResendNeedsTheEmail(t *testing.T) {
	t.Parallel()
	_, site, _, integ := sandboxGhost(t)
	_, err := integ.Resend(context.Background(), provider.ResendRequest{Site: site, InviteID: "6b0e8e600000000000000001"})
	wantPermanent(t, err, provider.ReasonRejected)
}

func TestCapabilitiesFollowTheKeyKind(t *testing.T) {
	t.Parallel()
	_, _, staff, integ := sandboxGhost(t)
	if c := staff.Capabilities(); c != (provider.Capabilities{BatchSize: 1, ListsPending: true, Revokes: true, SendReplaces: true}) {
		t.Errorf("staff: %+v", c)
	}
	if c := integ.Capabilities(); c != (provider.Capabilities{BatchSize: 1, SendReplaces: true}) {
		t.Errorf("integration: %+v", c)
	}
}
