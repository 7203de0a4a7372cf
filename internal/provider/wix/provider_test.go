package wix

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providertest"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

var canned = providertest.Canned

func newTestProvider(t *testing.T, h http.Handler) *Provider {
	return providertest.Build(t, NewProvider, testKey, h)
}

var batch = provider.Batch{Site: testSite, Emails: []string{"ada@example.com"}, Roles: []string{"6600344420111308827"}}

// TestSendClassifiesEveryAnswer maps each answer Wix can give to a bulk invite to the one error kind the
// controller acts on.
func TestSendClassifiesEveryAnswer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		handler    http.Handler
		wantKind   provider.Kind
		wantReason string
		wantAfter  time.Duration
	}{
		{"401 unauthenticated", canned(401, `{"message":"not authenticated","details":{"applicationError":{"code":"UNAUTHENTICATED"}}}`),
			provider.KindCredential, "", 0},
		{"403 permission denied", canned(403, `{"message":"no","details":{"applicationError":{"code":"PERMISSION_DENIED"}}}`),
			provider.KindCredential, "", 0},
		{"400 unknown role", canned(400, `{"message":"bad","details":{"validationError":{"fieldViolations":[{"field":"policyIds[0]","description":"role not found","violatedRule":"CUSTOM"}]}}}`),
			provider.KindPermanent, provider.ReasonUnknownRole, 0},
		{"400 bad email", canned(400, `{"message":"bad","details":{"validationError":{"fieldViolations":[{"field":"emails[0]","description":"not an email","violatedRule":"FORMAT"}]}}}`),
			provider.KindPermanent, provider.ReasonInvalidEmail, 0},
		{"400 other", canned(400, `{"message":"bad request","details":{}}`), provider.KindPermanent, provider.ReasonRejected, 0},
		{"409 already exists", canned(409, `{"message":"exists","details":{"applicationError":{"code":"ALREADY_EXISTS"}}}`),
			provider.KindPermanent, provider.ReasonAlreadyMember, 0},
		{"404 site unknown", canned(404, `{"message":"site not found","details":{"applicationError":{"code":"NOT_FOUND"}}}`),
			provider.KindNotFound, "", 0},
		{"429 with Retry-After seconds", canned(429, `{"message":"","details":{}}`, "Retry-After", "7"), provider.KindTransient, "", 7 * time.Second},
		{"503 with Retry-After", canned(503, `upstream down`, "Retry-After", "3"), provider.KindTransient, "", 3 * time.Second},
		{"500 may have been applied", canned(500, `{"message":"","details":{}}`), provider.KindOutcomeUnknown, "", 0},
		{"502 non-JSON body", canned(502, `<html>bad gateway</html>`), provider.KindOutcomeUnknown, "", 0},
		{"504 gateway timeout", canned(504, ``), provider.KindOutcomeUnknown, "", 0},
		{"200 with a body that is not JSON", canned(200, `<html>`), provider.KindOutcomeUnknown, "", 0},
		{"200 truncated", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte(`{"invites":[`))
		}), provider.KindOutcomeUnknown, "", 0},
		{"connection dropped after the request", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
		}), provider.KindOutcomeUnknown, "", 0},
		{"redirect", canned(307, ``, "Location", "https://elsewhere.example/"), provider.KindTransient, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newTestProvider(t, tc.handler).Send(context.Background(), batch)
			providertest.CheckError(t, err, tc.wantKind, tc.wantReason, tc.wantAfter, testKey)
		})
	}
}

func TestSendTimesOutAsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	p, err := NewProvider(provider.Config{Credential: testKey, BaseURL: srv.URL, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Send(context.Background(), batch)
	if provider.Classify(err) != provider.KindOutcomeUnknown {
		t.Fatalf("a timeout after the request was written must be outcome unknown, got %v", err)
	}
}

func TestSendBeforeTheRequestIsWrittenIsTransient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens: connection refused
	p, err := NewProvider(provider.Config{Credential: testKey, BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Send(context.Background(), batch)
	if provider.Classify(err) != provider.KindTransient {
		t.Fatalf("connection refused means nothing was sent: want transient, got %v", err)
	}
}

func sandboxWix(t *testing.T) (*sandbox.Wix, *Provider) {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	fake := sandbox.NewWix(sandbox.WixOptions{Sites: cfg.Wix.Sites, APIKeys: cfg.Wix.APIKeys})
	p, err := NewProvider(provider.Config{Credential: cfg.Wix.APIKeys[0].Secret, AccountID: cfg.Wix.APIKeys[0].AccountID,
		BaseURL: providertest.Serve(t, fake)})
	if err != nil {
		t.Fatal(err)
	}
	return fake, p
}

// TestAgainstTheSandbox runs every operation against the fake Wix and checks the fake's ledger.
func TestAgainstTheSandbox(t *testing.T) {
	t.Parallel()
	fake, p := sandboxWix(t)
	ctx := context.Background()
	b := provider.Batch{Site: testSite, Roles: []string{"6600344420111308827"},
		Emails: []string{"ada@example.com", "owner@example.com", "grace@example.com"}, Language: "en"}
	out, err := p.Send(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Err != nil || out[0].InviteID == "" || out[2].Err != nil {
		t.Fatalf("ada and grace should be invited with IDs: %+v", out)
	}
	var perm *provider.PermanentError
	if !errors.As(out[1].Err, &perm) || perm.Reason != provider.ReasonAlreadyMember {
		t.Fatalf("owner is a member: want AlreadyMember, got %v", out[1].Err)
	}
	snap := fake.Snapshot()
	if snap.Invitations(testSite, "ada@example.com") != 1 || snap.Invitations(testSite, "owner@example.com") != 0 {
		t.Fatalf("ledger: %+v", snap.Ledger)
	}

	// Wix shows no pending invites, only accepted contributors.
	obs, err := p.Observe(ctx, testSite, provider.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 || obs[0].Email != "owner@example.com" || obs[0].State != provider.Accepted {
		t.Fatalf("observe before acceptance: %+v", obs)
	}
	if err := fake.Accept(testSite, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	obs, _ = p.Observe(ctx, testSite, provider.Query{})
	if len(obs) != 2 || obs[0].Email != "ada@example.com" || obs[0].Roles[0] != "6600344420111308827" {
		t.Fatalf("observe after acceptance: %+v", obs)
	}

	resent, err := p.Resend(ctx, provider.ResendRequest{Site: testSite, InviteID: out[2].InviteID, Email: out[2].Email, Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if resent.InviteID != out[2].InviteID || resent.ExpiresAt.IsZero() {
		t.Fatalf("Wix keeps the invite on resend and tells its expiry: %+v", resent)
	}
	if out[0].ExpiresAt.IsZero() {
		t.Fatalf("the bulk answer tells each invite's expirationDate: %+v", out[0])
	}
	if err := p.Revoke(ctx, testSite, out[2].InviteID); err != nil {
		t.Fatal(err)
	}
	if err := p.Revoke(ctx, testSite, out[2].InviteID); provider.Classify(err) != provider.KindNotFound {
		t.Fatalf("revoking twice: want not found, got %v", err)
	}
	if err := p.Revoke(ctx, testSite, "no-such-invite"); provider.Classify(err) != provider.KindNotFound {
		t.Fatalf("revoking an unknown invite: want not found, got %v", err)
	}
	if err := p.Verify(ctx); err != nil {
		t.Fatalf("verify: %v", err)
	}
	snap = fake.Snapshot()
	if snap.Resends(testSite, "grace@example.com") != 1 || snap.Emails(testSite, "grace@example.com") != 2 || snap.Emails(testSite, "ada@example.com") != 1 {
		t.Fatalf("ledger after resend: %+v", snap)
	}
}

func TestAcceptThenDropIsOutcomeUnknownNotFailed(t *testing.T) {
	t.Parallel()
	fake, p := sandboxWix(t)
	fake.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, AcceptThenDrop: true, Times: 1})
	_, err := p.Send(context.Background(), batch)
	if provider.Classify(err) != provider.KindOutcomeUnknown {
		t.Fatalf("want outcome unknown, got %v", err)
	}
	if n := fake.Snapshot().Invitations(testSite, "ada@example.com"); n != 1 {
		t.Fatalf("the fake applied the invite before dropping: ledger shows %d", n)
	}
}

func TestSandboxRejectsUnknownRoleAndBadCredentials(t *testing.T) {
	t.Parallel()
	fake, p := sandboxWix(t)
	ctx := context.Background()
	_, err := p.Send(ctx, provider.Batch{Site: testSite, Emails: []string{"a@example.com"}, Roles: []string{"123"}})
	var perm *provider.PermanentError
	if !errors.As(err, &perm) || perm.Reason != provider.ReasonUnknownRole {
		t.Fatalf("unknown role: %v", err)
	}
	bad, _ := NewProvider(provider.Config{Credential: "wrong", BaseURL: strings.TrimSuffix(p.client.base, "/")})
	var cred *provider.CredentialError
	if _, err := bad.Send(ctx, batch); !errors.As(err, &cred) || !cred.Unauthenticated {
		t.Fatalf("wrong key: want unauthenticated, got %v", err)
	}
	if _, err := p.Send(ctx, provider.Batch{Site: "00000000-0000-4000-8000-000000000000", Emails: []string{"a@example.com"}, Roles: []string{"1"}}); !errors.As(err, &cred) || cred.Unauthenticated {
		t.Fatalf("a site the key may not use: want forbidden, got %v", err)
	}
	if len(fake.Snapshot().Ledger) != 0 {
		t.Fatal("nothing may be delivered")
	}
}
