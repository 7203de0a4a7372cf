package ghost

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
)

// Error bodies exactly as Ghost 5.130.6 answered them (docs/providers.md, "Ghost"); ids shortened.
const (
	bodyInvalidEmail  = `{"errors":[{"message":"Validation error, cannot save invite.","context":"Validation (isEmail) failed for email invites.email","type":"ValidationError","details":null,"property":null,"help":null,"code":null,"id":"a1","ghostErrorCode":null}]}`
	bodyMissingRole   = `{"errors":[{"message":"Validation error, cannot save invite.","context":"Validation (FieldIsRequired) failed for [\"role_id\"]","type":"ValidationError","details":null,"property":null,"help":null,"code":null,"id":"a2","ghostErrorCode":null}]}`
	bodyUnknownRole   = `{"errors":[{"message":"Resource not found error, cannot save invite.","context":"Role not found","type":"NotFoundError","details":null,"property":null,"help":null,"code":null,"id":"a3","ghostErrorCode":null}]}`
	bodyRegistered    = `{"errors":[{"message":"Validation error, cannot save invite.","context":"User is already registered.","type":"ValidationError","details":null,"property":null,"help":null,"code":null,"id":"a4","ghostErrorCode":null}]}`
	bodyNoPermission  = `{"errors":[{"message":"Permission error, cannot save invite.","context":"You do not have permission to add invites","type":"NoPermissionError","details":null,"property":null,"help":null,"code":null,"id":"a5","ghostErrorCode":null}]}`
	bodyNoAuth        = `{"errors":[{"message":"Authorization failed","context":"Unable to determine the authenticated user or integration. Check that cookies are being passed through if using session authentication.","type":"NoPermissionError","details":null,"property":null,"help":null,"code":null,"id":"a6","ghostErrorCode":null}]}`
	bodyBadSignature  = `{"errors":[{"message":"Invalid token: invalid signature","context":null,"type":"UnauthorizedError","details":null,"property":null,"help":null,"code":"INVALID_JWT","id":"a7","ghostErrorCode":null}]}`
	bodyWrongAudience = `{"errors":[{"message":"Invalid token: jwt audience invalid. expected: /\\/?admin\\/?$/","context":null,"type":"UnauthorizedError","details":null,"property":null,"help":null,"code":"INVALID_JWT","id":"a8","ghostErrorCode":null}]}`
	bodyMaxAge        = `{"errors":[{"message":"Invalid token: maxAge exceeded","context":null,"type":"UnauthorizedError","details":null,"property":null,"help":null,"code":"INVALID_JWT","id":"a9","ghostErrorCode":null}]}`
	bodyJWTExpired    = `{"errors":[{"message":"Invalid token: jwt expired","context":null,"type":"UnauthorizedError","details":null,"property":null,"help":null,"code":"INVALID_JWT","id":"b1","ghostErrorCode":null}]}`
	bodyUnknownKey    = `{"errors":[{"message":"Unknown Admin API Key","context":null,"type":"UnauthorizedError","details":null,"property":null,"help":null,"code":"UNKNOWN_ADMIN_API_KEY","id":"b2","ghostErrorCode":null}]}`
	bodyNotAJWT       = `{"errors":[{"message":"Invalid token","context":null,"type":"BadRequestError","details":null,"property":null,"help":null,"code":"INVALID_JWT","id":"b3","ghostErrorCode":null}]}`
	bodyAuthHeader    = `{"errors":[{"message":"Authorization header format is \"Authorization: Ghost [token]\"","context":null,"type":"UnauthorizedError","details":null,"property":null,"help":null,"code":"INVALID_AUTH_HEADER","id":"b4","ghostErrorCode":null}]}`
	bodyEmailError    = `{"errors":[{"message":"Error sending email!","context":"Error sending email: Failed to send email. Reason: connect ECONNREFUSED 127.0.0.1:34217. Please check your email settings and resend the invitation.","type":"EmailError","details":null,"property":null,"help":"Please see https://ghost.org/docs/config/#mail for instructions on configuring email.","code":"ESOCKET","id":"b5","ghostErrorCode":null}]}`
	bodyNotImpl       = `{"errors":[{"message":"The server does not support the functionality required to fulfill the request.","context":null,"type":"NotImplementedError","details":null,"property":null,"help":null,"code":null,"id":"b6","ghostErrorCode":null}]}`
	bodyInviteGone    = `{"errors":[{"message":"Resource not found error, cannot delete invite.","context":"Invite not found.","type":"NotFoundError","details":null,"property":null,"help":null,"code":null,"id":"b7","ghostErrorCode":null}]}`
	bodyRoles         = `{"roles":[{"id":"r-admin","name":"Administrator"},{"id":"r-editor","name":"Editor"},{"id":"r-author","name":"Author"},{"id":"r-contrib","name":"Contributor"},{"id":"r-super","name":"Super Editor"}]}`
	bodyCreated       = `{"invites":[{"id":"6b0e8e5e3c05b74a4ac611cd","role_id":"r-author","status":"sent","email":"ada@example.com","expires":1796720862231,"created_at":"2026-12-01T09:07:42.000Z","updated_at":"2026-12-01T09:07:42.000Z"}]}`
)

const testSite = "http://blog.example.com"

// ghostServer answers roles from bodyRoles and every other request with status and body.
func ghostServer(t *testing.T, status int, body string, header ...string) *Provider {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/ghost/api/admin/roles/" {
			_, _ = w.Write([]byte(bodyRoles))
			return
		}
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return newProvider(t, srv.URL, true)
}

func newProvider(t *testing.T, base string, staff bool) *Provider {
	t.Helper()
	p, err := NewProvider(provider.Config{Type: provider.Ghost, Credential: testKey, Sites: []string{testSite}, BaseURL: base,
		StaffToken: staff, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var author = provider.Batch{Site: testSite, Emails: []string{"ada@example.com"}, Roles: []string{"Author"}}

// TestSendMapsEveryErrorShape: each answer of the real server maps to one kind; rejections about the
// email are the outcome's, rejections about the request are Send's error.
func TestSendMapsEveryErrorShape(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		status     int
		body       string
		header     []string
		perEmail   bool
		wantKind   provider.Kind
		wantReason string
		wantUnauth bool
		wantAfter  time.Duration
	}{
		{"invalid email", 422, bodyInvalidEmail, nil, true, provider.KindPermanent, provider.ReasonInvalidEmail, false, 0},
		{"already registered", 422, bodyRegistered, nil, true, provider.KindPermanent, provider.ReasonAlreadyMember, false, 0},
		{"missing role_id", 422, bodyMissingRole, nil, false, provider.KindPermanent, provider.ReasonRejected, false, 0},
		{"unknown role_id", 404, bodyUnknownRole, nil, false, provider.KindPermanent, provider.ReasonUnknownRole, false, 0},
		{"role the key may not assign", 403, bodyNoPermission, nil, false, provider.KindPermanent, provider.ReasonRoleNotAllowed, false, 0},
		{"no Authorization header", 403, bodyNoAuth, nil, false, provider.KindCredential, "", false, 0},
		{"bad signature", 401, bodyBadSignature, nil, false, provider.KindCredential, "", true, 0},
		{"wrong audience", 401, bodyWrongAudience, nil, false, provider.KindCredential, "", true, 0},
		{"iat too old", 401, bodyMaxAge, nil, false, provider.KindCredential, "", true, 0},
		{"token expired", 401, bodyJWTExpired, nil, false, provider.KindCredential, "", true, 0},
		{"unknown key id", 401, bodyUnknownKey, nil, false, provider.KindCredential, "", true, 0},
		{"not a JWT", 400, bodyNotAJWT, nil, false, provider.KindCredential, "", true, 0},
		{"not the Ghost scheme", 401, bodyAuthHeader, nil, false, provider.KindCredential, "", true, 0},
		{"mail server down", 500, bodyEmailError, nil, true, provider.KindTransient, "", false, 0},
		{"other 500", 500, `{"errors":[{"message":"boom","type":"InternalServerError"}]}`, nil, false, provider.KindOutcomeUnknown, "", false, 0},
		{"502 from a proxy", 502, `<html>bad gateway</html>`, nil, false, provider.KindOutcomeUnknown, "", false, 0},
		{"503 with Retry-After", 503, `<html>`, []string{"Retry-After", "30"}, false, provider.KindTransient, "", false, 30 * time.Second},
		{"429", 429, `{"errors":[{"message":"Too many requests","type":"TooManyRequestsError"}]}`, []string{"Retry-After", "5"}, false, provider.KindTransient, "", false, 5 * time.Second},
		{"201 unreadable", 201, `{"invites":`, nil, false, provider.KindOutcomeUnknown, "", false, 0},
		{"201 without an invite", 201, `{"invites":[]}`, nil, false, provider.KindOutcomeUnknown, "", false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := ghostServer(t, tc.status, tc.body, tc.header...)
			out, err := p.Send(context.Background(), author)
			if tc.perEmail {
				if err != nil || len(out) != 1 {
					t.Fatalf("want one outcome and no error, got %+v, %v", out, err)
				}
				err = out[0].Err
			} else if out != nil {
				t.Fatalf("a request-level failure returns no outcomes, got %+v", out)
			}
			if got := provider.Classify(err); got != tc.wantKind {
				t.Fatalf("kind %v, want %v (err %v)", got, tc.wantKind, err)
			}
			var perm *provider.PermanentError
			if tc.wantReason != "" && (!errors.As(err, &perm) || perm.Reason != tc.wantReason) {
				t.Errorf("reason of %v, want %s", err, tc.wantReason)
			}
			var cred *provider.CredentialError
			if errors.As(err, &cred) && cred.Unauthenticated != tc.wantUnauth {
				t.Errorf("unauthenticated %v, want %v", cred.Unauthenticated, tc.wantUnauth)
			}
			if got := provider.RetryAfter(err); got != tc.wantAfter {
				t.Errorf("retry after %v, want %v", got, tc.wantAfter)
			}
		})
	}
}

func TestMailFailureIsUndelivered(t *testing.T) {
	t.Parallel()
	p := ghostServer(t, 500, bodyEmailError)
	out, err := p.Send(context.Background(), author)
	var u *provider.UndeliveredError
	if err != nil || !errors.As(out[0].Err, &u) || !strings.Contains(u.Message, "ECONNREFUSED") {
		t.Fatalf("want an UndeliveredError with the mail server's complaint, got %+v %v", out, err)
	}
}

// TestTheCredentialNeverLeaks: a server that echoes the Authorization header into its error body must
// not get the token or the secret into any error.
func TestTheCredentialNeverLeaks(t *testing.T) {
	t.Parallel()
	var seen []string
	for _, status := range []int{400, 401, 403, 404, 422, 500, 501, 503} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			auth := r.Header.Get("Authorization")
			seen = append(seen, strings.TrimPrefix(auth, "Ghost "))
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"errors":[{"message":"you sent ` + auth + `","context":"secret ` + testKeySecret + `","type":"EmailError"}]}`))
		}))
		p := newProvider(t, srv.URL, true)
		ctx := context.Background()
		_, sendErr := p.Send(ctx, author)
		_, obsErr := p.Observe(ctx, testSite, provider.Query{})
		_, resendErr := p.Resend(ctx, provider.ResendRequest{Site: testSite, InviteID: "x"})
		errs := []error{sendErr, p.Revoke(ctx, testSite, "x"), p.Verify(ctx), obsErr, resendErr}
		srv.Close()
		for _, err := range errs {
			if err == nil {
				continue
			}
			for _, tok := range seen {
				if tok != "" && strings.Contains(err.Error(), tok) {
					t.Fatalf("HTTP %d: error holds the signed token: %v", status, err)
				}
			}
			if strings.Contains(strings.ToLower(err.Error()), testKeySecret) {
				t.Fatalf("HTTP %d: error holds the secret: %v", status, err)
			}
		}
	}
	if len(seen) == 0 {
		t.Fatal("no request reached the server")
	}
}
