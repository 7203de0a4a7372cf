package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/ghost"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

func ghostServer(t *testing.T) (*sandbox.Ghost, string, sandbox.Config) {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	g := sandbox.NewGhost(sandbox.GhostOptions{Sites: cfg.Ghost.Sites})
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv.URL, cfg
}

// TestGhostServesSitesUnderTheirPaths: the default seed's two sites share a port; each key works on its
// own site only, as Ghost keys belong to one install.
func TestGhostServesSitesUnderTheirPaths(t *testing.T) {
	t.Parallel()
	g, base, cfg := ghostServer(t)
	ctx := context.Background()
	for i, site := range cfg.Ghost.Sites {
		siteURL := base + site.Path
		p, err := ghost.NewProvider(provider.Config{Type: provider.Ghost, Credential: site.StaffKeys[0], Sites: []string{siteURL}, StaffToken: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(ctx); err != nil {
			t.Fatalf("%s: %v", siteURL, err)
		}
		out, err := p.Send(ctx, provider.Batch{Site: siteURL, Emails: []string{"ada@example.com"}, Roles: []string{"Author"}})
		if err != nil || out[0].Err != nil {
			t.Fatalf("%s: %+v %v", siteURL, out, err)
		}
		other := cfg.Ghost.Sites[1-i]
		stranger, _ := ghost.NewProvider(provider.Config{Type: provider.Ghost, Credential: other.StaffKeys[0], Sites: []string{siteURL}, StaffToken: true})
		if err := stranger.Verify(ctx); provider.Classify(err) != provider.KindCredential {
			t.Errorf("another site's key on %s: %v", siteURL, err)
		}
	}
	snap := g.Snapshot()
	if snap.Invitations("/", "ada@example.com") != 1 || snap.Invitations("/docs", "ada@example.com") != 1 || len(snap.Duplicates) != 0 {
		t.Fatalf("ledger: %+v", snap.Ledger)
	}
}

// TestGhostSandboxRoutes: mail down and the page, as cmd/sandbox users drive them.
func TestGhostSandboxRoutes(t *testing.T) {
	t.Parallel()
	g, base, cfg := ghostServer(t)
	ctx := context.Background()
	p, _ := ghost.NewProvider(provider.Config{Type: provider.Ghost, Credential: cfg.Ghost.Sites[0].IntegrationKeys[0], Sites: []string{base}})
	resp, err := http.PostForm(base+"/_sandbox/mail", url.Values{"down": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	out, err := p.Send(ctx, provider.Batch{Site: base, Emails: []string{"down@example.com"}, Roles: []string{"Editor"}})
	if err != nil || provider.Classify(out[0].Err) != provider.KindTransient {
		t.Fatalf("mail down: %+v %v", out, err)
	}
	g.SetMailDown(false)
	if out, err = p.Send(ctx, provider.Batch{Site: base, Emails: []string{"up@example.com"}, Roles: []string{"Editor"}}); err != nil || out[0].Err != nil {
		t.Fatalf("mail up: %+v %v", out, err)
	}
	if err := g.Accept("/", "down@example.com"); err == nil {
		t.Error("an invite that was never emailed cannot be accepted")
	}
	if err := g.Accept("/", "up@example.com"); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	sandbox.RenderPage(rec, g.Snapshot())
	page := rec.Body.String()
	for _, want := range []string{"Ghost sandbox", "stored, never emailed", "You have been invited to join Sandbox Blog", "/ghost/signup/"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestGhostFaults: the shared fault machinery applies to Ghost's ops.
func TestGhostFaults(t *testing.T) {
	t.Parallel()
	g, base, cfg := ghostServer(t)
	p, _ := ghost.NewProvider(provider.Config{Type: provider.Ghost, Credential: cfg.Ghost.Sites[0].StaffKeys[0], Sites: []string{base},
		StaffToken: true, Timeout: 5 * time.Second})
	ctx := context.Background()
	b := provider.Batch{Site: base, Emails: []string{"ada@example.com"}, Roles: []string{"Author"}}
	g.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Status: 503, RetryAfter: "7", Times: 1})
	if _, err := p.Send(ctx, b); provider.Classify(err) != provider.KindTransient || provider.RetryAfter(err) != 7*time.Second {
		t.Fatalf("503: %v", err)
	}
	g.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, AcceptThenDrop: true, Times: 1})
	if _, err := p.Send(ctx, b); provider.Classify(err) != provider.KindOutcomeUnknown {
		t.Fatalf("accept then drop: %v", err)
	}
	obs, err := p.Observe(ctx, base, provider.Query{})
	if err != nil || len(obs) < 1 {
		t.Fatal(obs, err)
	}
	for _, o := range obs {
		if o.Email == "ada@example.com" && o.State != provider.Pending {
			t.Fatalf("the dropped send was emailed and is listed pending: %+v", o)
		}
	}
	g.Faults().Add(sandbox.Fault{Op: sandbox.OpList, Status: 500, Times: 1})
	if _, err := p.Observe(ctx, base, provider.Query{}); provider.Classify(err) != provider.KindTransient {
		t.Fatalf("a 500 to a list is transient: %v", err)
	}
}

func TestParseConfigChecksGhostSites(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		yaml string
		ok   bool
	}{
		{"a complete site", `ghost: {sites: [{title: T, owner: {name: O, email: o@example.com}, staffKeys: ["` + strings.Repeat("a", 24) + ":" + strings.Repeat("b", 64) + `"]}]}`, true},
		{"no title", `ghost: {sites: [{owner: {name: O, email: o@example.com}, staffKeys: ["` + strings.Repeat("a", 24) + ":" + strings.Repeat("b", 64) + `"]}]}`, false},
		{"no key", `ghost: {sites: [{title: T, owner: {name: O, email: o@example.com}}]}`, false},
		{"a malformed key", `ghost: {sites: [{title: T, owner: {name: O, email: o@example.com}, integrationKeys: ["nope"]}]}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := sandbox.ParseConfig([]byte(tc.yaml)); (err == nil) != tc.ok {
				t.Fatalf("ParseConfig: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
