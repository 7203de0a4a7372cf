package ghost

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"
)

// Key is a Ghost Admin API key: an integration's admin key or a user's staff access token. Both have
// the same form, "<24-hex id>:<64-hex secret>". Ghost's admin screen shows an integration key joined like
// that; GET /users/me/token/ returns a staff token's id and secret as separate fields, which users store
// joined by ':' as well.
type Key struct {
	// ID is the key id, sent in the JWT header as kid.
	ID     string
	secret []byte
}

// TokenLifetime is how long a signed token is valid. Ghost refuses tokens whose iat is more than five
// minutes old whatever their exp, so a token is signed per request and never reused.
const TokenLifetime = 5 * time.Minute

var keyRE = regexp.MustCompile(`^[0-9a-f]{24}:[0-9a-f]{64}$`)

// ErrMalformedKey says what a key must look like without repeating any of it: the value is a credential.
var ErrMalformedKey = errors.New(`ghost: the key must be "<24-hex id>:<64-hex secret>": an integration's Admin API key, ` +
	`or a staff access token's id and secret (GET /ghost/api/admin/users/me/token/) joined by ':'`)

// ParseKey reads a key; surrounding whitespace (a trailing newline from `kubectl create secret
// --from-file`) is ignored, anything else malformed is ErrMalformedKey.
func ParseKey(s string) (Key, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !keyRE.MatchString(s) {
		return Key{}, ErrMalformedKey
	}
	id, secretHex, _ := strings.Cut(s, ":")
	secret, err := hex.DecodeString(secretHex)
	if err != nil {
		return Key{}, ErrMalformedKey
	}
	return Key{ID: id, secret: secret}, nil
}

// String hides the secret, so a Key printed by mistake leaks nothing.
func (k Key) String() string { return "ghost key " + k.ID }

type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
}

type jwtClaims struct {
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
	Aud string `json:"aud"`
}

// Audience is the aud claim Ghost's Admin API checks.
const Audience = "/admin/"

// Sign returns a token for one request: HS256 over the hex-decoded secret, header
// {"alg":"HS256","typ":"JWT","kid":<id>}, claims {"iat","exp":iat+TokenLifetime,"aud":"/admin/"}. It is a
// credential: it goes into the Authorization header and nowhere else.
func (k Key) Sign(now time.Time) (string, error) {
	if len(k.secret) == 0 {
		return "", ErrMalformedKey
	}
	h, err := json.Marshal(jwtHeader{Alg: "HS256", Typ: "JWT", Kid: k.ID})
	if err != nil {
		return "", err
	}
	iat := now.Unix()
	c, err := json.Marshal(jwtClaims{Iat: iat, Exp: iat + int64(TokenLifetime/time.Second), Aud: Audience})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	mac := hmac.New(sha256.New, k.secret)
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// redacted replaces a credential a server echoed back.
var redacted = []byte("[redacted]")

// redact removes the signed token, its signature and the key's secret from an answer before any of it
// becomes an error message: a server (or a proxy in front of it) that echoes the Authorization header
// must not put the credential into status, events or logs.
func (k Key) redact(body []byte, token string) []byte {
	if token != "" {
		body = bytes.ReplaceAll(body, []byte(token), redacted)
		if i := strings.LastIndexByte(token, '.'); i >= 0 && len(token)-i > 16 {
			body = bytes.ReplaceAll(body, []byte(token[i+1:]), redacted)
		}
	}
	if secret := []byte(hex.EncodeToString(k.secret)); len(k.secret) > 0 && bytes.Contains(bytes.ToLower(body), secret) {
		body = bytes.ReplaceAll(bytes.ToLower(body), secret, redacted) // rare: lowercasing the message is fine
	}
	return body
}
