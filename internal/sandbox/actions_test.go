package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/siteops/invitation-operator/internal/sandbox"
)

// noRedirect is a client that shows the page's redirect instead of following it.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func postForm(t *testing.T, c *http.Client, target string, form url.Values) *http.Response {
	t.Helper()
	resp, err := c.PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// TestRevokeReadsRevokedAtTheAPIAndEmailsNobody: the site owner's revoke in the provider's dashboard is
// what the operator's refresh sees through the API, and the delivery ledger gains nothing.
func TestRevokeReadsRevokedAtTheAPIAndEmailsNobody(t *testing.T) {
	t.Parallel()
	t.Run("Wix: the invite can no longer be resent or revoked", func(t *testing.T) {
		t.Parallel()
		w, u := wixServer(t, sandbox.WixOptions{})
		h := map[string]string{"Authorization": wixKey, "wix-site-id": wixSite, "Content-Type": "application/json"}
		if status, out := do(t, http.MethodPost, u+"/invites/site-invite/bulk", h, bulkBody); status != 200 {
			t.Fatal(status, out)
		}
		id := w.Snapshot().Invites[0].ID
		if status, out := do(t, http.MethodPost, u+"/_sandbox/revoke?site="+wixSite+"&email=ada@example.com", nil, ""); status != 200 {
			t.Fatal(status, out)
		}
		if status, out := do(t, http.MethodPost, u+"/invites/site-invite/"+id+"/resend", h, `{"inviteId":"`+id+`"}`); status != 428 ||
			!strings.Contains(out, "revoked") {
			t.Fatalf("a revoked Wix invite cannot be resent: %d %s", status, out)
		}
		snap := w.Snapshot()
		if snap.Invites[0].State != sandbox.StateRevoked || len(snap.Ledger) != 1 {
			t.Fatalf("revoked, and still one email: %+v", snap)
		}
	})
	t.Run("WordPress.com: the invite leaves the listing", func(t *testing.T) {
		t.Parallel()
		cfg := sandbox.DefaultConfig()
		wp := sandbox.NewWordPress(sandbox.WordPressOptions{Sites: cfg.WordPress.Sites, Tokens: cfg.WordPress.Tokens})
		srv := httptest.NewServer(wp)
		t.Cleanup(srv.Close)
		auth := map[string]string{"Authorization": "Bearer " + wpToken, "Content-Type": "application/json"}
		site := srv.URL + "/rest/v1.1/sites/example.wordpress.com/invites"
		if status, out := do(t, http.MethodPost, site+"/new", auth, `{"invitees":["ada@example.com"],"role":"author"}`); status != 200 {
			t.Fatal(status, out)
		}
		if status, out := do(t, http.MethodPost, srv.URL+"/_sandbox/revoke?site=example.wordpress.com&email=ada@example.com", nil, ""); status != 200 {
			t.Fatal(status, out)
		}
		if status, out := do(t, http.MethodGet, site, auth, ""); status != 200 || !strings.Contains(out, `"found":0`) {
			t.Fatalf("a revoked invite is not listed: %d %s", status, out)
		}
		if status, _ := do(t, http.MethodPost, srv.URL+"/_sandbox/revoke?site=example.wordpress.com&email=ada@example.com", nil, ""); status != 404 {
			t.Fatalf("nothing is left to revoke: want 404, got %d", status)
		}
		if n := len(wp.Snapshot().Ledger); n != 1 {
			t.Fatalf("a revoke emails nobody: %d deliveries", n)
		}
	})
}

// TestPageButtonsActAndComeBack: the page offers the actions each invite allows; a click posts a form,
// acts on the right fake and redirects back to the page, which says what happened.
func TestPageButtonsActAndComeBack(t *testing.T) {
	t.Parallel()
	cfg := sandbox.DefaultConfig()
	wix := sandbox.NewWix(sandbox.WixOptions{Sites: cfg.Wix.Sites, APIKeys: cfg.Wix.APIKeys})
	wp := sandbox.NewWordPress(sandbox.WordPressOptions{Sites: cfg.WordPress.Sites, Tokens: cfg.WordPress.Tokens})
	wixSrv, wpSrv, page := httptest.NewServer(wix), httptest.NewServer(wp), httptest.NewServer(sandbox.NewPage(wix, wp))
	for _, s := range []*httptest.Server{wixSrv, wpSrv, page} {
		t.Cleanup(s.Close)
	}
	h := map[string]string{"Authorization": wixKey, "wix-site-id": wixSite, "Content-Type": "application/json"}
	if status, out := do(t, http.MethodPost, wixSrv.URL+"/invites/site-invite/bulk", h,
		`{"policyIds":["6600344420111308827"],"emails":["ada@example.com","alan@example.com","grace@example.com"]}`); status != 200 {
		t.Fatal(status, out)
	}
	cases := []struct {
		name, target, action, email, provider string
		wantState                             sandbox.InviteState
		wantNotice                            string
	}{
		{"accept on the combined page", page.URL, "accept", "ada@example.com", "Wix", sandbox.StateAccepted, "accepted ada@example.com on Wix"},
		{"expire on the combined page", page.URL, "expire", "alan@example.com", "Wix", sandbox.StateExpired, "expired alan@example.com"},
		{"revoke on the fake's own page", wixSrv.URL, "revoke", "grace@example.com", "Wix", sandbox.StateRevoked, "revoked grace@example.com"},
		{"an unknown provider", page.URL, "accept", "ada@example.com", "Nope", "", `no sandbox for provider`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := postForm(t, noRedirect, c.target+"/_sandbox/"+c.action,
				url.Values{"provider": {c.provider}, "site": {wixSite}, "email": {c.email}, "from": {"page"}})
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/?") {
				t.Fatalf("want a redirect back to the page, got %d %q", resp.StatusCode, loc)
			}
			status, body := do(t, http.MethodGet, c.target+loc, nil, "")
			if status != 200 || !strings.Contains(body, c.wantNotice) {
				t.Fatalf("the page does not say %q: %d", c.wantNotice, status)
			}
			if c.wantState == "" {
				return
			}
			for _, inv := range wix.Snapshot().Invites {
				if inv.Email == c.email && inv.State != c.wantState {
					t.Errorf("%s is %s, want %s", c.email, inv.State, c.wantState)
				}
			}
		})
	}
	_, body := do(t, http.MethodGet, page.URL+"/", nil, "")
	for email, want := range map[string]string{"ada@example.com": "", "alan@example.com": "revoke", "grace@example.com": ""} {
		row := body[strings.Index(body, `data-email="`+email+`"`):]
		row = row[:strings.Index(row, "</tr>")]
		if got := strings.Count(row, "<button"); (want == "" && got != 0) || (want != "" && (got != 1 || !strings.Contains(row, `data-action="`+want+`"`))) {
			t.Errorf("%s offers %d buttons, want only %q", email, got, want)
		}
	}
	if wix.Snapshot().Calls["invite"] != 1 || len(wix.Snapshot().Ledger) != 3 {
		t.Error("the buttons email nobody")
	}
}
