package wordpress

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providertest"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

const site = "example.wordpress.com"

var canned = providertest.Canned

func newTestProvider(t *testing.T, h http.Handler) *Provider {
	return providertest.Build(t, NewProvider, testToken, h)
}

var batch = provider.Batch{Site: site, Emails: []string{"ada@example.com", "grace@example.com"}, Roles: []string{"author"}}

func TestSendClassifiesRequestLevelAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		handler    http.Handler
		wantKind   provider.Kind
		wantReason string
		wantAfter  time.Duration
		wantUnauth bool
	}{
		{"400 invalid token", canned(400, `{"error":"invalid_token","message":"The OAuth2 token is invalid."}`), provider.KindCredential, "", 0, true},
		{"403 authorization required", canned(403, `{"error":"authorization_required","message":"An active access token must be used"}`), provider.KindCredential, "", 0, true},
		{"401", canned(401, `{"error":"unauthorized","message":"no"}`), provider.KindCredential, "", 0, true},
		{"403 no capability on the site", canned(403, `{"error":"unauthorized","message":"User cannot invite users to specified site"}`), provider.KindCredential, "", 0, false},
		{"404 unknown blog", canned(404, `{"error":"unknown_blog","message":"Unknown blog"}`), provider.KindPermanent, provider.ReasonSiteNotFound, 0, false},
		{"400 invalid role", canned(400, `{"error":"invalid_input","message":"The role \"boss\" is not a valid role"}`), provider.KindPermanent, provider.ReasonUnknownRole, 0, false},
		{"400 other", canned(400, `{"error":"invalid_input","message":"No invitees"}`), provider.KindPermanent, provider.ReasonRejected, 0, false},
		{"429 with an HTTP-date Retry-After", canned(429, ``, "Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat)),
			provider.KindTransient, "", 90 * time.Second, false},
		{"503", canned(503, `<html>`), provider.KindTransient, "", 0, false},
		{"500 may have been applied", canned(500, `<html>`), provider.KindOutcomeUnknown, "", 0, false},
		{"200 unreadable", canned(200, `{"sent":`), provider.KindOutcomeUnknown, "", 0, false},
		{"200 errors is a non-empty list", canned(200, `{"sent":[],"errors":[1]}`), provider.KindOutcomeUnknown, "", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newTestProvider(t, tc.handler).Send(context.Background(), batch)
			providertest.CheckError(t, err, tc.wantKind, tc.wantReason, tc.wantAfter, testToken)
			var cred *provider.CredentialError
			if errors.As(err, &cred) && cred.Unauthenticated != tc.wantUnauth {
				t.Errorf("unauthenticated = %v, want %v", cred.Unauthenticated, tc.wantUnauth)
			}
		})
	}
}

// TestSendReadsPerInviteeErrors: WordPress.com answers 200 even when invitees fail; each error value may
// be flat or a serialized WP_Error, and an empty map may be {} or [].
func TestSendReadsPerInviteeErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		answer string
		want   []string // reason per email, "" for sent, "unknown" for outcome unknown
	}{
		{"all sent, errors {}", `{"sent":["ada@example.com","grace@example.com"],"errors":{}}`, []string{"", ""}},
		{"all sent, errors []", `{"sent":["ada@example.com","grace@example.com"],"errors":[]}`, []string{"", ""}},
		{"all sent, no errors key", `{"sent":["ada@example.com","grace@example.com"]}`, []string{"", ""}},
		{"flat error", `{"sent":["ada@example.com"],"errors":{"grace@example.com":{"code":"invalid_input_has_role","message":"User already has a role on your site."}}}`,
			[]string{"", provider.ReasonAlreadyMember}},
		{"WP_Error shape", `{"sent":["ada@example.com"],"errors":{"grace@example.com":{"errors":{"form-error-username-or-email":["User already has a role on your site."]},"error_data":[]}}}`,
			[]string{"", provider.ReasonAlreadyMember}},
		{"invalid email", `{"sent":[],"errors":{"ada@example.com":{"code":"invalid_input","message":"Invalid email"},"grace@example.com":{"code":"invalid_user_blocked_invites","message":"blocked"}}}`,
			[]string{provider.ReasonInvalidEmail, provider.ReasonBlocked}},
		{"unknown code", `{"sent":["ada@example.com"],"errors":{"grace@example.com":{"code":"something_new","message":"?"}}}`,
			[]string{"", provider.ReasonRejected}},
		{"sent echoes another case", `{"sent":["Ada@Example.com","grace@example.com"],"errors":{}}`, []string{"", ""}},
		{"an invitee in neither list", `{"sent":["ada@example.com"],"errors":{}}`, []string{"", "unknown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := newTestProvider(t, canned(200, tc.answer)).Send(context.Background(), batch)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				got := ""
				var perm *provider.PermanentError
				switch {
				case errors.As(out[i].Err, &perm):
					got = perm.Reason
				case provider.Classify(out[i].Err) == provider.KindOutcomeUnknown:
					got = "unknown"
				case out[i].Err != nil:
					got = out[i].Err.Error()
				}
				if got != want || out[i].Email != batch.Emails[i] {
					t.Errorf("%s: got %q, want %q", batch.Emails[i], got, want)
				}
			}
		})
	}
}

func TestListPagesUntilFound(t *testing.T) {
	t.Parallel()
	var offsets []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offsets = append(offsets, r.URL.Query().Get("offset"))
		var items []string
		off := len(offsets) - 1
		for i := 0; i < 100 && off*100+i < 250; i++ {
			n := off*100 + i
			items = append(items, fmt.Sprintf(`{"invite_key":"k%d","role":"author","is_pending":true,"user":{"login":"","email":"p%d@example.com"}}`, n, n))
		}
		_, _ = fmt.Fprintf(w, `{"found":250,"invites":[%s]}`, strings.Join(items, ","))
	})
	obs, err := newTestProvider(t, h).Observe(context.Background(), site, provider.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 250 || strings.Join(offsets, ",") != "0,100,200" {
		t.Fatalf("got %d invites over offsets %v", len(obs), offsets)
	}
}

func TestObserveReadsStatesAndUsernameInvites(t *testing.T) {
	t.Parallel()
	answer := `{"found":4,"invites":[
	{"invite_key":"a1","role":"editor","is_pending":false,"accepted_date":"2026-01-01T00:00:00+00:00","user":{"login":"ada","email":"Ada@example.com"}},
	{"invite_key":"a0","role":"editor","is_pending":true,"accepted_date":null,"user":{"login":"ada","email":"ada@example.com"}},
	{"invite_key":"g1","role":"author","is_pending":false,"accepted_date":null,"user":{"login":"grace","email":"grace@example.com"}},
	{"invite_key":"u1","role":"author","is_pending":true,"user":{"login":"someuser","email":false}}]}`
	obs, err := newTestProvider(t, canned(200, answer)).Observe(context.Background(), site, provider.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 2 {
		t.Fatalf("username invites carry no email and are skipped: %+v", obs)
	}
	if obs[0].Email != "ada@example.com" || obs[0].State != provider.Accepted || obs[0].InviteID != "a1" {
		t.Errorf("ada: the accepted invite wins: %+v", obs[0])
	}
	if obs[1].State != provider.Expired {
		t.Errorf("grace: not pending and never accepted: %+v", obs[1])
	}
}

func sandboxWordPress(t *testing.T, opts sandbox.WordPressOptions) (*sandbox.WordPress, *Provider) {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	opts.Sites, opts.Tokens = cfg.WordPress.Sites, cfg.WordPress.Tokens
	fake := sandbox.NewWordPress(opts)
	p, err := NewProvider(provider.Config{Credential: cfg.WordPress.Tokens[0].Secret, BaseURL: providertest.Serve(t, fake)})
	if err != nil {
		t.Fatal(err)
	}
	return fake, p
}

func TestAgainstTheSandbox(t *testing.T) {
	t.Parallel()
	for _, opts := range []sandbox.WordPressOptions{{}, {WPErrorShape: true, EmptyErrorsAsList: true}} {
		t.Run(fmt.Sprintf("WP_Error shape %v", opts.WPErrorShape), func(t *testing.T) {
			t.Parallel()
			fake, p := sandboxWordPress(t, opts)
			ctx := context.Background()
			out, err := p.Send(ctx, provider.Batch{Site: site, Roles: []string{"author"}, Message: "hi",
				Emails: []string{"ada@example.com", "owner@example.com", "grace@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			var perm *provider.PermanentError
			if out[0].Err != nil || out[2].Err != nil || !errors.As(out[1].Err, &perm) || perm.Reason != provider.ReasonAlreadyMember {
				t.Fatalf("outcomes: %+v", out)
			}
			if out[0].InviteID != "" {
				t.Errorf("invites/new carries no invite key; got %q", out[0].InviteID)
			}
			obs, err := p.Observe(ctx, site, provider.Query{Lookup: []string{"owner@example.com", "nobody@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]provider.Observation{}
			for _, o := range obs {
				got[o.Email] = o
			}
			if got["ada@example.com"].State != provider.Pending || got["ada@example.com"].InviteID == "" {
				t.Errorf("ada is pending with a key: %+v", got["ada@example.com"])
			}
			if got["owner@example.com"].State != provider.Accepted {
				t.Errorf("owner is found among members: %+v", got)
			}
			if _, ok := got["nobody@example.com"]; ok {
				t.Errorf("nobody is neither invited nor a member")
			}
			if err := fake.Accept(site, "ada@example.com"); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Resend(ctx, provider.ResendRequest{Site: site, InviteID: got["grace@example.com"].InviteID, Email: "grace@example.com", Roles: []string{"author"}}); err != nil {
				t.Fatal(err)
			}
			if err := p.Revoke(ctx, site, got["grace@example.com"].InviteID); err != nil {
				t.Fatal(err)
			}
			if err := p.Revoke(ctx, site, got["grace@example.com"].InviteID); provider.Classify(err) != provider.KindNotFound {
				t.Fatalf("second revoke: %v", err)
			}
			obs, _ = p.Observe(ctx, site, provider.Query{})
			if len(obs) != 1 || obs[0].Email != "ada@example.com" || obs[0].State != provider.Accepted {
				t.Fatalf("after accept and revoke: %+v", obs)
			}
			if err := p.Verify(ctx); err != nil {
				t.Fatal(err)
			}
			snap := fake.Snapshot()
			if snap.Emails("123456789", "ada@example.com") != 1 || snap.Resends("123456789", "grace@example.com") != 1 || snap.Emails("123456789", "grace@example.com") != 2 {
				t.Fatalf("ledger: %+v", snap.Ledger)
			}
		})
	}
}

func TestAcceptThenDropIsOutcomeUnknownAndVisibleInTheList(t *testing.T) {
	t.Parallel()
	fake, p := sandboxWordPress(t, sandbox.WordPressOptions{})
	fake.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, AcceptThenDrop: true, Times: 1})
	ctx := context.Background()
	if _, err := p.Send(ctx, batch); provider.Classify(err) != provider.KindOutcomeUnknown {
		t.Fatalf("want outcome unknown, got %v", err)
	}
	obs, err := p.Observe(ctx, site, provider.Query{})
	if err != nil || len(obs) != 2 || obs[0].State != provider.Pending {
		t.Fatalf("the dropped send is visible as pending invites: %+v %v", obs, err)
	}
}

func TestSandboxStrictness(t *testing.T) {
	t.Parallel()
	fake, p := sandboxWordPress(t, sandbox.WordPressOptions{})
	ctx := context.Background()
	var perm *provider.PermanentError
	if _, err := p.Send(ctx, provider.Batch{Site: site, Emails: []string{"a@example.com"}, Roles: []string{"boss"}}); !errors.As(err, &perm) || perm.Reason != provider.ReasonUnknownRole {
		t.Fatalf("unknown role: %v", err)
	}
	if _, err := p.Send(ctx, provider.Batch{Site: "nope.example.com", Emails: []string{"a@example.com"}, Roles: []string{"author"}}); !errors.As(err, &perm) || perm.Reason != provider.ReasonSiteNotFound {
		t.Fatalf("unknown site: %v", err)
	}
	bad, _ := NewProvider(provider.Config{Credential: "wrong", BaseURL: p.client.base})
	var cred *provider.CredentialError
	if err := bad.Verify(ctx); !errors.As(err, &cred) || !cred.Unauthenticated {
		t.Fatalf("wrong token: %v", err)
	}
	fake.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, InviteeErrors: map[string]string{"ada@example.com": "invalid_user_blocked_invites"}, Times: 1})
	out, err := p.Send(ctx, batch)
	if err != nil || !errors.As(out[0].Err, &perm) || perm.Reason != provider.ReasonBlocked || out[1].Err != nil {
		t.Fatalf("injected invitee error: %+v %v", out, err)
	}
}
