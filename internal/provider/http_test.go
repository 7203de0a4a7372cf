package provider_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "120", 2 * time.Minute},
		{"zero", "0", 0},
		{"negative", "-5", 0},
		{"HTTP-date", now.Add(45 * time.Second).Format(http.TimeFormat), 45 * time.Second},
		{"HTTP-date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"RFC 850 date", now.Add(10 * time.Second).Format("Monday, 02-Jan-06 15:04:05 GMT"), 10 * time.Second},
		{"capped", "999999", provider.MaxRetryAfter},
		{"garbage", "soon", 0},
		{"padded", " 3 ", 3 * time.Second},
	}
	for _, tc := range cases {
		if got := provider.ParseRetryAfter(tc.value, now); got != tc.want {
			t.Errorf("%s: ParseRetryAfter(%q) = %v, want %v", tc.name, tc.value, got, tc.want)
		}
	}
}

func TestClassifyGivesEachErrorOneKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want provider.Kind
	}{
		{nil, provider.KindNone},
		{&provider.PermanentError{Reason: provider.ReasonInvalidEmail}, provider.KindPermanent},
		{&provider.TransientError{StatusCode: 429}, provider.KindTransient},
		{&provider.CredentialError{StatusCode: 401}, provider.KindCredential},
		{&provider.OutcomeUnknownError{Cause: errors.New("reset")}, provider.KindOutcomeUnknown},
		{&provider.NotFoundError{What: "invite"}, provider.KindNotFound},
		{fmt.Errorf("wrapped: %w", &provider.CredentialError{StatusCode: 403}), provider.KindCredential},
		{context.Canceled, provider.KindTransient},
	}
	for _, tc := range cases {
		if got := provider.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestTruncateKeepsRunesWhole(t *testing.T) {
	t.Parallel()
	if got := provider.Truncate("héllo wörld", 8); got != "héll…" {
		t.Errorf("Truncate = %q (%d bytes)", got, len(got))
	}
	if got := provider.Truncate("short", 8); got != "short" {
		t.Errorf("Truncate = %q", got)
	}
	long := strings.Repeat("é", 100)
	got := provider.Truncate(long, 128) // 2-byte runes: the cut lands mid-rune and must back off
	if len(got) != 127 || !strings.HasSuffix(got, "…") || !isValidUTF8(got) {
		t.Errorf("Truncate = %q (%d bytes)", got, len(got))
	}
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// TestRedirectsAreNotFollowed: a redirect to another host must never carry the credential there.
func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	var leaked atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("authorization") != "" {
			leaked.Store(true)
		}
		w.WriteHeader(200)
	}))
	defer elsewhere.Close()
	origin := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/steal", http.StatusTemporaryRedirect))
	defer origin.Close()

	h := provider.NewHTTP(provider.WordPress, provider.Config{})
	_, err := h.Do(context.Background(), provider.Call{Op: "list", Method: http.MethodGet, URL: origin.URL,
		Header: map[string]string{"authorization": "secret"}})
	if provider.Classify(err) != provider.KindTransient || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("want a transient error about the redirect, got %v", err)
	}
	if leaked.Load() {
		t.Fatal("the credential reached the redirect target")
	}
}

func TestOversizedAnswerIsNotRead(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		chunk := strings.Repeat("x", 1<<16)
		for i := 0; i < (provider.MaxResponseBytes>>16)+2; i++ {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	h := provider.NewHTTP(provider.Wix, provider.Config{})
	_, err := h.Do(context.Background(), provider.Call{Op: "invite", Method: http.MethodPost, URL: srv.URL, Body: []byte("{}"), Applies: true})
	if provider.Classify(err) != provider.KindOutcomeUnknown {
		t.Fatalf("an unreadable answer to a send is outcome unknown, got %v", err)
	}
	_, err = h.Do(context.Background(), provider.Call{Op: "list", Method: http.MethodGet, URL: srv.URL})
	if provider.Classify(err) != provider.KindTransient {
		t.Fatalf("an unreadable answer to a read is transient, got %v", err)
	}
}

// TestEveryRequestWaitsOnTheSharedLimiter: two clients built for one provider object share its bucket.
func TestEveryRequestWaitsOnTheSharedLimiter(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls.Add(1) }))
	defer srv.Close()
	limiters := provider.NewLimiters()
	// 60 per minute with a burst of 2: two calls go at once, the third waits about a second.
	a := provider.NewHTTP(provider.Wix, provider.Config{Limiter: limiters.Get("ns/wix", 60, 2)})
	b := provider.NewHTTP(provider.Wix, provider.Config{Limiter: limiters.Get("ns/wix", 60, 2)})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var errs atomic.Int32
	for _, h := range []*provider.HTTP{a, b, a} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Do(ctx, provider.Call{Op: "list", Method: http.MethodGet, URL: srv.URL}); err != nil {
				errs.Add(1)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 2 || errs.Load() != 1 {
		t.Fatalf("want 2 calls through and 1 held back by the shared bucket, got %d calls and %d errors", calls.Load(), errs.Load())
	}
	if l := limiters.Get("ns/wix", 120, 5); l.Burst() != 5 {
		t.Fatal("a changed rate limit re-tunes the shared limiter")
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{"", "5", "-1", "Wed, 25 Nov 2026 12:00:10 GMT", "99999999999999999999", "1e3"} {
		f.Add(seed)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := provider.ParseRetryAfter(v, now); d < 0 || d > provider.MaxRetryAfter {
			t.Fatalf("ParseRetryAfter(%q) = %v, outside [0, %v]", v, d, provider.MaxRetryAfter)
		}
	})
}
