package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/httpapi"
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
		{"capped", "999999", httpapi.MaxRetryAfter},
		{"garbage", "soon", 0},
		{"padded", " 3 ", 3 * time.Second},
	}
	for _, tc := range cases {
		if got := httpapi.ParseRetryAfter(tc.value, now); got != tc.want {
			t.Errorf("%s: ParseRetryAfter(%q) = %v, want %v", tc.name, tc.value, got, tc.want)
		}
	}
}

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

	h := httpapi.NewHTTP(provider.WordPress, provider.Config{BaseURL: origin.URL})
	_, err := h.Do(context.Background(), httpapi.Call{Op: "list", Method: http.MethodGet, URL: origin.URL,
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
		for i := 0; i < (httpapi.MaxResponseBytes>>16)+2; i++ {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	h := httpapi.NewHTTP(provider.Wix, provider.Config{BaseURL: srv.URL})
	_, err := h.Do(context.Background(), httpapi.Call{Op: "invite", Method: http.MethodPost, URL: srv.URL, Body: []byte("{}"), Applies: true})
	if provider.Classify(err) != provider.KindOutcomeUnknown {
		t.Fatalf("an unreadable answer to a send is outcome unknown, got %v", err)
	}
	_, err = h.Do(context.Background(), httpapi.Call{Op: "list", Method: http.MethodGet, URL: srv.URL})
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
	limiters := provider.NewLimiters(0)
	// 60 per minute with a burst of 2: two calls go at once, the third waits about a second.
	a := httpapi.NewHTTP(provider.Wix, provider.Config{BaseURL: srv.URL, Limiter: limiters.Get("ns/wix", 60, 2)})
	b := httpapi.NewHTTP(provider.Wix, provider.Config{BaseURL: srv.URL, Limiter: limiters.Get("ns/wix", 60, 2)})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var errs atomic.Int32
	for _, h := range []*httpapi.HTTP{a, b, a} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Do(ctx, httpapi.Call{Op: "list", Method: http.MethodGet, URL: srv.URL}); err != nil {
				errs.Add(1)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 2 || errs.Load() != 1 {
		t.Fatalf("want 2 calls through and 1 held back by the shared bucket, got %d calls and %d errors", calls.Load(), errs.Load())
	}
	if l := limiters.Get("ns/wix", 120, 5); l != limiters.Get("ns/wix", 60, 2) || l.Rate() != 60 {
		t.Fatal("a changed rate limit re-tunes the shared quota in place")
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{"", "5", "-1", "Wed, 25 Nov 2026 12:00:10 GMT", "99999999999999999999", "1e3"} {
		f.Add(seed)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := httpapi.ParseRetryAfter(v, now); d < 0 || d > httpapi.MaxRetryAfter {
			t.Fatalf("ParseRetryAfter(%q) = %v, outside [0, %v]", v, d, httpapi.MaxRetryAfter)
		}
	})
}
