package providertest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
)

// Canned answers every request with status and body, and the header pairs given (name, value, ...).
func Canned(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// Serve serves h on loopback for the test's lifetime and returns its base URL.
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// CaptureOne answers one call with a 200 and answer and returns the request exactly as it arrived. call
// gets the server's base URL; the test fails if it errs or makes other than one request.
func CaptureOne(t testing.TB, answer string, call func(baseURL string) error) Request {
	t.Helper()
	url, captured := CaptureServer(t, 200, answer)
	if err := call(url); err != nil {
		t.Fatalf("call: %v", err)
	}
	reqs := captured()
	if len(reqs) != 1 {
		t.Fatalf("want exactly one request, got %d", len(reqs))
	}
	return reqs[0]
}

// CheckError fails t unless err is of kind, carries reason (for a permanent error; "" skips the check)
// and a Retry-After of about retryAfter (an HTTP-date loses up to two seconds on the way), and never
// contains secret.
func CheckError(t testing.TB, err error, kind provider.Kind, reason string, retryAfter time.Duration, secret string) {
	t.Helper()
	if got := provider.Classify(err); got != kind {
		t.Fatalf("kind = %v, want %v (err %v)", got, kind, err)
	}
	var perm *provider.PermanentError
	if reason != "" && (!errors.As(err, &perm) || perm.Reason != reason) {
		t.Errorf("reason of %v, want %s", err, reason)
	}
	if got := provider.RetryAfter(err); got < retryAfter-2*time.Second || got > retryAfter {
		t.Errorf("retry after %v, want about %v", got, retryAfter)
	}
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error leaks the credential: %v", err)
	}
}

// Build builds a client with build (a provider package's NewProvider) for a server serving h with
// credential, and a short timeout.
func Build[T any](t testing.TB, build func(provider.Config) (T, error), credential string, h http.Handler) T {
	t.Helper()
	c, err := build(provider.Config{Credential: credential, BaseURL: Serve(t, h), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
