package ghost

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// testKey has the shape of a Ghost key; it is no real key.
const (
	testKeyID     = "0123456789abcdef01234567"
	testKeySecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	testKey       = testKeyID + ":" + testKeySecret
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"integration key", testKey, true},
		{"trailing newline from a file", testKey + "\n", true},
		{"upper-case hex", strings.ToUpper(testKey), true},
		{"empty", "", false},
		{"secret only", testKeySecret, false},
		{"id too short", testKeyID[1:] + ":" + testKeySecret, false},
		{"secret too short", testKeyID + ":" + testKeySecret[2:], false},
		{"not hex", testKeyID + ":" + strings.Repeat("zz", 32), false},
		{"content API key (26 hex, no id)", "1234567890abcdef1234567890", false},
		{"two colons", testKeyID + ":" + testKeySecret + ":x", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKey(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseKey: %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrMalformedKey) || strings.Contains(err.Error(), testKeySecret[:16]) {
					t.Errorf("the error must be ErrMalformedKey and repeat nothing of the key: %v", err)
				}
				return
			}
			if k.ID != testKeyID || fmt.Sprint(k) != "ghost key "+testKeyID {
				t.Errorf("key %v", k)
			}
		})
	}
}

// TestSignMatchesAKnownVector pins the exact token for a fixed key and time, computed independently
// (Python's hmac and base64 over the same header and claims).
func TestSignMatchesAKnownVector(t *testing.T) {
	t.Parallel()
	k, err := ParseKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.Sign(time.Unix(1764547200, 0))
	if err != nil {
		t.Fatal(err)
	}
	const want = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2NyJ9." +
		"eyJpYXQiOjE3NjQ1NDcyMDAsImV4cCI6MTc2NDU0NzUwMCwiYXVkIjoiL2FkbWluLyJ9." +
		"HP_WHruMYBq9hHdKqCVxXoSh_uIPQukKoIO5kRDv8-k"
	if got != want {
		t.Fatalf("token\n got %s\nwant %s", got, want)
	}
}

// verify is an independent check of what Ghost checks: HS256 over the hex-decoded secret, the kid, the
// audience, and an iat no older than five minutes.
func verify(token, key string, now time.Time) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not three parts")
	}
	id, secretHex, _ := strings.Cut(key, ":")
	secret, _ := hex.DecodeString(secretHex)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return errors.New("invalid signature")
	}
	var h map[string]string
	var c struct {
		Iat, Exp int64
		Aud      string
	}
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil {
		return errors.New("undecodable")
	}
	switch {
	case h["alg"] != "HS256" || h["typ"] != "JWT" || h["kid"] != id:
		return fmt.Errorf("header %v", h)
	case c.Aud != "/admin/":
		return fmt.Errorf("audience %q", c.Aud)
	case now.Unix()-c.Iat > 300:
		return errors.New("maxAge exceeded")
	case c.Exp <= now.Unix() || c.Exp-c.Iat > 300:
		return fmt.Errorf("exp %d for iat %d", c.Exp, c.Iat)
	}
	return nil
}

func TestSignedTokensVerify(t *testing.T) {
	t.Parallel()
	k, _ := ParseKey(testKey)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tok, err := k.Sign(now)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		key  string
		at   time.Time
		ok   bool
	}{
		{"just signed", testKey, now, true},
		{"four minutes later", testKey, now.Add(4 * time.Minute), true},
		{"six minutes later: Ghost refuses it", testKey, now.Add(6 * time.Minute), false},
		{"another secret", testKeyID + ":" + strings.Repeat("ab", 32), now, false},
		{"another kid", "aaaaaaaaaaaaaaaaaaaaaaaa:" + testKeySecret, now, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := verify(tok, tc.key, tc.at); (err == nil) != tc.ok {
				t.Fatalf("verify: %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if other, _ := k.Sign(now.Add(time.Second)); other == tok {
		t.Error("tokens signed at different times must differ")
	}
}

func TestRedactRemovesTheCredential(t *testing.T) {
	t.Parallel()
	k, _ := ParseKey(testKey)
	tok, _ := k.Sign(time.Unix(1764547200, 0))
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	body := fmt.Sprintf(`{"errors":[{"message":"bad header Ghost %s","context":"sig %s secret %s"}]}`, tok, sig, strings.ToUpper(testKeySecret))
	got := string(k.redact([]byte(body), tok))
	for _, secret := range []string{tok, sig, testKeySecret, strings.ToUpper(testKeySecret)} {
		if strings.Contains(got, secret) {
			t.Fatalf("redacted body still holds %q: %s", secret, got)
		}
	}
}
