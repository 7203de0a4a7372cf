package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// ghostKey is an Admin API key a fake Ghost site knows: a staff access token (bound to the owner) or an
// integration's key.
type ghostKey struct {
	id     string
	secret []byte
	staff  bool
}

// ghostAudience is the audience Ghost checks, /\/?admin\/?$/, quoted as jsonwebtoken prints it.
var ghostAudience = regexp.MustCompile(`^/?admin/?$`)

// ghostRefusal is one error answer of Ghost's Admin API.
type ghostRefusal struct {
	status          int
	typ, code, text string
	context         string
}

// Every refusal below is one the real Ghost 5.130.6 gave (docs/providers.md, "Ghost"), with its text.
var (
	ghostNoAuth = ghostRefusal{status: http.StatusForbidden, typ: "NoPermissionError", text: "Authorization failed",
		context: "Unable to determine the authenticated user or integration. Check that cookies are being passed through if using session authentication."}
	ghostBadHeader = ghostRefusal{status: http.StatusUnauthorized, typ: "UnauthorizedError", code: "INVALID_AUTH_HEADER",
		text: `Authorization header format is "Authorization: Ghost [token]"`}
	ghostNotAJWT    = ghostRefusal{status: http.StatusBadRequest, typ: "BadRequestError", code: "INVALID_JWT", text: "Invalid token"}
	ghostMissingKid = ghostRefusal{status: http.StatusBadRequest, typ: "BadRequestError", code: "MISSING_ADMIN_API_KID", text: "Admin API kid missing."}
	ghostUnknownKey = ghostRefusal{status: http.StatusUnauthorized, typ: "UnauthorizedError", code: "UNKNOWN_ADMIN_API_KEY", text: "Unknown Admin API Key"}
	ghostInvalidJWT = func(why string) ghostRefusal {
		return ghostRefusal{status: http.StatusUnauthorized, typ: "UnauthorizedError", code: "INVALID_JWT", text: "Invalid token: " + why}
	}
	ghostJWTMaxAge   = 5 * time.Minute
	ghostNotImplText = "The server does not support the functionality required to fulfill the request."
)

// authenticate checks the Authorization header the way Ghost's admin API key middleware does, in its
// order: scheme, decodable token, kid, known key, then jsonwebtoken's checks (signature, exp, audience,
// maxAge of iat). An absent header is 403, not 401.
func (site *ghostSite) authenticate(r *http.Request, now time.Time) (*ghostKey, *ghostRefusal) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, &ghostNoAuth
	}
	scheme, token, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Ghost") || token == "" {
		return nil, &ghostBadHeader
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, &ghostNotAJWT
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	var claims struct {
		Iat *float64        `json:"iat"`
		Exp *float64        `json:"exp"`
		Aud json.RawMessage `json:"aud"`
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil || json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil {
		return nil, &ghostNotAJWT
	}
	if header.Kid == "" {
		return nil, &ghostMissingKid
	}
	key, ok := site.keys[header.Kid]
	if !ok {
		return nil, &ghostUnknownKey
	}
	if header.Alg != "HS256" {
		e := ghostInvalidJWT("invalid algorithm")
		return nil, &e
	}
	mac := hmac.New(sha256.New, key.secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		e := ghostInvalidJWT("invalid signature")
		return nil, &e
	}
	unix := float64(now.Unix())
	if claims.Exp != nil && unix >= *claims.Exp {
		e := ghostInvalidJWT("jwt expired")
		return nil, &e
	}
	var aud string
	if json.Unmarshal(claims.Aud, &aud) != nil || !ghostAudience.MatchString(aud) {
		e := ghostInvalidJWT(`jwt audience invalid. expected: /\/?admin\/?$/`)
		return nil, &e
	}
	if claims.Iat == nil {
		e := ghostInvalidJWT("iat required when maxAge is specified")
		return nil, &e
	}
	if unix >= *claims.Iat+ghostJWTMaxAge.Seconds() {
		e := ghostInvalidJWT("maxAge exceeded")
		return nil, &e
	}
	return &key, nil
}

// integrationAllows is the slice of Ghost's allowlist for integration keys that the fake serves: every
// other call an integration key makes is 501 NotImplementedError, after authentication.
func integrationAllows(method, resource string) bool {
	switch resource {
	case "site", "users", "roles":
		return method == http.MethodGet
	case "invites":
		return method == http.MethodPost
	}
	return false
}

func parseGhostKey(s string, staff bool) (string, ghostKey, bool) {
	id, secretHex, ok := strings.Cut(s, ":")
	secret, err := hex.DecodeString(secretHex)
	if !ok || err != nil || len(id) != 24 || len(secret) != 32 {
		return "", ghostKey{}, false
	}
	return id, ghostKey{id: id, secret: secret, staff: staff}, true
}
