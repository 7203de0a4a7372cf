package ghostcontract

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/ghost"
)

// clients are the two providers a scenario uses against one target.
type clients struct {
	target Target
	staff  *ghost.Provider
	integ  *ghost.Provider
	raw    *ghost.Client // staff key, for calls the adapter does not make
	site   string
}

func newClients(t *testing.T, tg Target) clients {
	t.Helper()
	build := func(key string, staff bool) *ghost.Provider {
		p, err := ghost.NewProvider(provider.Config{Type: provider.Ghost, Credential: key, Sites: []string{tg.SiteURL()},
			StaffToken: staff, Timeout: 60 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	raw, err := ghost.New(provider.Config{Type: provider.Ghost, Credential: tg.StaffKey(), Sites: []string{tg.SiteURL()}, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return clients{target: tg, staff: build(tg.StaffKey(), true), integ: build(tg.IntegrationKey(), false), raw: raw, site: tg.SiteURL()}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return c
}

func batch(site, email, role string) provider.Batch {
	return provider.Batch{Site: site, Emails: []string{email}, Roles: []string{role}}
}

// sent sends one invite that must succeed and returns its outcome.
func sent(t *testing.T, p *ghost.Provider, site, email, role string) provider.Outcome {
	t.Helper()
	out, err := p.Send(ctx(t), batch(site, email, role))
	if err != nil || len(out) != 1 || out[0].Err != nil || out[0].InviteID == "" {
		t.Fatalf("send %s as %s: %+v %v", email, role, out, err)
	}
	return out[0]
}

func observe(t *testing.T, p *ghost.Provider, site string) map[string]provider.Observation {
	t.Helper()
	obs, err := p.Observe(ctx(t), site, provider.Query{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]provider.Observation{}
	for _, o := range obs {
		m[o.Email] = o
	}
	return m
}

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	var perm *provider.PermanentError
	if !errors.As(err, &perm) || perm.Reason != reason {
		t.Fatalf("want a permanent %s, got %v", reason, err)
	}
}

// ghostAnswer is an Admin API answer reduced to what both targets must agree on.
type ghostAnswer struct {
	Status  int
	Type    string
	Code    string
	Message string
	Context string
}

// call makes a raw request to the site's Admin API (authorization as given, or none) and reduces the
// answer; the accept endpoint is called this way, as the invited person's browser calls it.
func call(t *testing.T, site, method, path, auth string, body any) (ghostAnswer, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx(t), method, site+"/ghost/api/admin"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Version", ghost.AcceptVersion)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	a := ghostAnswer{Status: resp.StatusCode}
	e := ghost.ParseAPIError(b)
	a.Type, a.Code, a.Message, a.Context = e.Type, e.Code, e.Message, e.Context
	return a, b
}

// accept is the invited person following the link: POST /authentication/invitation/ with the token.
func accept(t *testing.T, site, token, email string) ghostAnswer {
	t.Helper()
	a, b := call(t, site, http.MethodPost, "/authentication/invitation/", "", map[string]any{"invitation": []map[string]string{{
		"token": token, "email": email, "name": strings.Split(email, "@")[0], "password": "correct-horse-battery-staple-43"}}})
	if a.Status == http.StatusOK && !strings.Contains(string(b), "Invitation accepted.") {
		t.Fatalf("accept answered 200 without saying so: %s", b)
	}
	return a
}

// lastMail returns the newest invitation email to addr; there must be exactly n.
func lastMail(t *testing.T, tg Target, addr string, n int) Mail {
	t.Helper()
	mails := tg.Mails(t, addr)
	if len(mails) != n {
		t.Fatalf("%d emails to %s, want %d: %+v", len(mails), addr, n, mails)
	}
	if n == 0 {
		return Mail{}
	}
	m := mails[n-1]
	if m.Token == "" {
		t.Fatalf("the email to %s carries no invite link: %+v", addr, m)
	}
	return m
}

// testSecret is a secret no target knows.
const testSecret = "abababababababababababababababababababababababababababababababab"

// signed is "Ghost <jwt>" for key, signed at iat for aud, valid five minutes: the token the client
// signs, made here independently so bad variants can be made too.
func signed(t *testing.T, key string, iat time.Time, aud string) string {
	return "Ghost " + jwt(t, key, map[string]any{"iat": iat.Unix(), "exp": iat.Unix() + 300, "aud": aud})
}

// signedExp is like signed with an exp lifetime seconds after iat.
func signedExp(t *testing.T, key string, iat time.Time, lifetime int64) string {
	return "Ghost " + jwt(t, key, map[string]any{"iat": iat.Unix(), "exp": iat.Unix() + lifetime, "aud": "/admin/"})
}

func jwt(t *testing.T, key string, claims map[string]any) string {
	t.Helper()
	return jwtAlg(t, key, "HS256", claims)
}

// jwtAlg signs with HMAC-SHA256 whatever alg the header names; an empty key id leaves kid out.
func jwtAlg(t *testing.T, key, alg string, claims map[string]any) string {
	t.Helper()
	id, secretHex, _ := strings.Cut(key, ":")
	secret, err := hex.DecodeString(secretHex)
	if err != nil {
		t.Fatal(err)
	}
	header := map[string]string{"alg": alg, "typ": "JWT"}
	if id != "" {
		header["kid"] = id
	}
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil))
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func newProvider(site, key string, staff bool) (*ghost.Provider, error) {
	return ghost.NewProvider(provider.Config{Type: provider.Ghost, Credential: key, Sites: []string{site}, StaffToken: staff, Timeout: 60 * time.Second})
}

// roleID reads a role's id on the target (all roles, Owner included).
func roleID(t *testing.T, c clients, name string) string {
	t.Helper()
	_, body := call(t, c.site, http.MethodGet, "/roles/", signed(t, c.target.StaffKey(), time.Now(), "/admin/"), nil)
	var out struct {
		Roles []struct{ ID, Name string }
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Roles {
		if r.Name == name {
			return r.ID
		}
	}
	t.Fatalf("no role %s in %s", name, body)
	return ""
}
