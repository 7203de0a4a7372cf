package ghostcontract

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
)

// rejections: every per-invitee and per-request refusal, through the provider and raw.
func rejections(t *testing.T, c clients) {
	out, err := c.staff.Send(ctx(t), batch(c.site, "not-an-email", "Author"))
	if err != nil {
		t.Fatal(err)
	}
	wantReason(t, out[0].Err, provider.ReasonInvalidEmail)
	out, _ = c.staff.Send(ctx(t), batch(c.site, ownerEmail, "Author"))
	wantReason(t, out[0].Err, provider.ReasonAlreadyMember)
	_, err = c.staff.Send(ctx(t), batch(c.site, "ivy@example.com", "Boss"))
	wantReason(t, err, provider.ReasonUnknownRole)
	_, err = c.raw.CreateInvite(ctx(t), c.site, "ivy@example.com", "0123456789abcdef01234567", "")
	wantReason(t, err, provider.ReasonUnknownRole)
	a, _ := call(t, c.site, http.MethodPost, "/invites/", signed(t, c.target.StaffKey(), time.Now(), "/admin/"),
		map[string]any{"invites": []map[string]string{{"email": "ivy@example.com"}}})
	if a.Status != 422 || a.Type != "ValidationError" || a.Context != `Validation (FieldIsRequired) failed for ["role_id"]` {
		t.Errorf("missing role_id: %+v", a)
	}
	a, _ = call(t, c.site, http.MethodPost, "/invites/", signed(t, c.target.StaffKey(), time.Now(), "/admin/"),
		map[string]any{"invites": []map[string]string{{"role_id": roleID(t, c, "Author")}}})
	if a.Status != 422 || a.Type != "ValidationError" || a.Context != `Validation (FieldIsRequired) failed for ["email"]` {
		t.Errorf("missing email: %+v", a)
	}
	a, _ = call(t, c.site, http.MethodPost, "/invites/", signed(t, c.target.StaffKey(), time.Now(), "/admin/"),
		map[string]any{"invites": []map[string]string{{"email": "ivy@example.com", "role_id": roleID(t, c, "Owner")}}})
	if a.Status != 403 || a.Type != "NoPermissionError" || a.Context != "You do not have permission to add invites" {
		t.Errorf("the Owner role with a staff token: %+v", a)
	}
	a, _ = call(t, c.site, http.MethodPost, "/invites/", signed(t, c.target.IntegrationKey(), time.Now(), "/admin/"),
		map[string]any{"invites": []map[string]string{{"email": "ivy@example.com", "role_id": roleID(t, c, "Owner")}}})
	if a.Status != 403 || a.Context != "You do not have permission to add invites" {
		t.Errorf("the Owner role with an integration key: %+v", a)
	}
	a, _ = call(t, c.site, http.MethodPost, "/invites/", signed(t, c.target.StaffKey(), time.Now(), "/admin/"),
		map[string]any{"invites": []map[string]string{{"email": "ivy@example.com", "role_id": ""}}})
	if a.Status != 404 || a.Context != "Role not found" {
		t.Errorf("an empty role_id: %+v", a)
	}
	// Accepting with an address that is already a user's.
	sent(t, c.staff, c.site, "jo@example.com", "Author")
	if a := accept(t, c.site, lastMail(t, c.target, "jo@example.com", 1).Token, ownerEmail); a.Status != 422 ||
		a.Message != "Could not create an account, email is already in use." {
		t.Errorf("accept as an existing user: %+v", a)
	}
	if _, err := c.staff.Send(ctx(t), batch("http://other.example.com", "ivy@example.com", "Author")); provider.Classify(err) != provider.KindPermanent {
		t.Errorf("a site the provider does not pin: %v", err)
	}
	lastMail(t, c.target, "ivy@example.com", 0)
}

// jwtRejections: Ghost's answers to every kind of bad token, compared field by field.
func jwtRejections(t *testing.T, c clients) {
	staff := c.target.StaffKey()
	id := staff[:24]
	now := time.Now()
	cases := []struct {
		name string
		auth string
		want ghostAnswer
	}{
		{"no header", "", ghostAnswer{403, "NoPermissionError", "", "Authorization failed",
			"Unable to determine the authenticated user or integration. Check that cookies are being passed through if using session authentication."}},
		{"Bearer scheme", "Bearer " + signed(t, staff, now, "/admin/")[len("Ghost "):], ghostAnswer{401, "UnauthorizedError", "INVALID_AUTH_HEADER",
			`Authorization header format is "Authorization: Ghost [token]"`, ""}},
		{"not a JWT", "Ghost not-a-jwt", ghostAnswer{400, "BadRequestError", "INVALID_JWT", "Invalid token", ""}},
		{"unknown key id", signed(t, "0123456789abcdef01234567:"+testSecret, now, "/admin/"), ghostAnswer{401, "UnauthorizedError", "UNKNOWN_ADMIN_API_KEY", "Unknown Admin API Key", ""}},
		{"wrong secret", signed(t, id+":"+testSecret, now, "/admin/"), ghostAnswer{401, "UnauthorizedError", "INVALID_JWT", "Invalid token: invalid signature", ""}},
		{"wrong audience", signed(t, staff, now, "/content/"), ghostAnswer{401, "UnauthorizedError", "INVALID_JWT", `Invalid token: jwt audience invalid. expected: /\/?admin\/?$/`, ""}},
		{"expired", signedExp(t, staff, now.Add(-2*time.Minute), 60), ghostAnswer{401, "UnauthorizedError", "INVALID_JWT", "Invalid token: jwt expired", ""}},
		{"iat over five minutes old", signedExp(t, staff, now.Add(-6*time.Minute), 3600), ghostAnswer{401, "UnauthorizedError", "INVALID_JWT", "Invalid token: maxAge exceeded", ""}},
		{"no iat", "Ghost " + jwt(t, staff, map[string]any{"exp": now.Unix() + 300, "aud": "/admin/"}),
			ghostAnswer{401, "UnauthorizedError", "INVALID_JWT", "Invalid token: iat required when maxAge is specified", ""}},
		{"HS512 in the header", "Ghost " + jwtAlg(t, staff, "HS512", map[string]any{"iat": now.Unix(), "exp": now.Unix() + 300, "aud": "/admin/"}),
			ghostAnswer{401, "UnauthorizedError", "INVALID_JWT", "Invalid token: invalid algorithm", ""}},
		{"no kid", "Ghost " + jwtAlg(t, ":"+staff[25:], "HS256", map[string]any{"iat": now.Unix(), "exp": now.Unix() + 300, "aud": "/admin/"}),
			ghostAnswer{400, "BadRequestError", "MISSING_ADMIN_API_KID", "Admin API kid missing.", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := call(t, c.site, http.MethodGet, "/invites/", tc.auth, nil)
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	bad, err := newProvider(c.site, id+":"+testSecret, true)
	if err != nil {
		t.Fatal(err)
	}
	var cred *provider.CredentialError
	if err := bad.Verify(ctx(t)); !errors.As(err, &cred) || !cred.Unauthenticated {
		t.Errorf("verify with a wrong secret: %v", err)
	}
}

// verify: each declared key kind is confirmed, the other one is a KeyTypeMismatch.
func verify(t *testing.T, c clients) {
	if err := c.staff.Verify(ctx(t)); err != nil {
		t.Errorf("staff token declared as one: %v", err)
	}
	if err := c.integ.Verify(ctx(t)); err != nil {
		t.Errorf("integration key declared as one: %v", err)
	}
	for _, tc := range []struct {
		key   string
		staff bool
	}{{c.target.IntegrationKey(), true}, {c.target.StaffKey(), false}} {
		p, err := newProvider(c.site, tc.key, tc.staff)
		if err != nil {
			t.Fatal(err)
		}
		wantReason(t, p.Verify(ctx(t)), provider.ReasonKeyTypeMismatch)
	}
}
