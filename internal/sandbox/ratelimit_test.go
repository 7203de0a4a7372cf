package sandbox_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/sandbox"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// limited is one fake behind a rate limit, with a request that spends one call of it.
type limited struct {
	name       string
	store      interface{ Snapshot() sandbox.Snapshot }
	callLog    func() []sandbox.Call
	request    func(t *testing.T) *http.Response
	errorShape string
}

func limitedFakes(t *testing.T, limit sandbox.RateLimit, clock *fakeClock) []limited {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	wix := sandbox.NewWix(sandbox.WixOptions{Sites: cfg.Wix.Sites, APIKeys: cfg.Wix.APIKeys, RateLimit: limit, Clock: clock.Now})
	wp := sandbox.NewWordPress(sandbox.WordPressOptions{Sites: cfg.WordPress.Sites, Tokens: cfg.WordPress.Tokens, RateLimit: limit, Clock: clock.Now})
	wixSrv, wpSrv := httptest.NewServer(wix), httptest.NewServer(wp)
	t.Cleanup(wixSrv.Close)
	t.Cleanup(wpSrv.Close)
	send := func(t *testing.T, method, url string, header map[string]string, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	return []limited{
		{name: "Wix", store: wix, callLog: wix.CallLog, errorShape: `"code":"RESOURCE_EXHAUSTED"`, request: func(t *testing.T) *http.Response {
			return send(t, http.MethodPost, wixSrv.URL+"/invites/site-invite/bulk",
				map[string]string{"Authorization": wixKey, "wix-site-id": wixSite, "Content-Type": "application/json"},
				`{"policyIds":["6600344420111308827"],"emails":["a`+strconv.Itoa(len(wix.CallLog()))+`@example.com"]}`)
		}},
		{name: "WordPress.com", store: wp, callLog: wp.CallLog, errorShape: `"error":"rate_limit_exceeded"`, request: func(t *testing.T) *http.Response {
			return send(t, http.MethodPost, wpSrv.URL+"/rest/v1.1/sites/example.wordpress.com/invites/new",
				map[string]string{"Authorization": "Bearer " + wpToken, "Content-Type": "application/json"},
				`{"invitees":["a`+strconv.Itoa(len(wp.CallLog()))+`@example.com"],"role":"author"}`)
		}},
	}
}

// TestRateLimitAnswers429WithTheRightRetryAfter: beyond its burst a fake refuses with 429 in the
// provider's own error shape, a Retry-After of the whole seconds until the next request would be
// admitted, and delivers nothing; a request after that wait is admitted.
func TestRateLimitAnswers429WithTheRightRetryAfter(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	for _, f := range limitedFakes(t, sandbox.RateLimit{RequestsPerMinute: 30, Burst: 2}, clock) {
		t.Run(f.name, func(t *testing.T) {
			steps := []struct {
				name           string
				advance        time.Duration
				wantStatus     int
				wantRetryAfter string
			}{
				{"first of the burst", 0, 200, ""},
				{"second of the burst", 0, 200, ""},
				{"beyond the burst: one token every 2 s", 0, 429, "2"},
				{"1.5 s later: 0.5 s left, rounded up", 1500 * time.Millisecond, 429, "1"},
				{"at the Retry-After", 500 * time.Millisecond, 200, ""},
				{"the token is spent again", 0, 429, "2"},
			}
			for _, s := range steps {
				clock.Add(s.advance)
				resp := f.request(t)
				body := readAll(t, resp)
				if resp.StatusCode != s.wantStatus || resp.Header.Get("Retry-After") != s.wantRetryAfter {
					t.Fatalf("%s: got %d Retry-After %q (%s), want %d Retry-After %q", s.name, resp.StatusCode,
						resp.Header.Get("Retry-After"), body, s.wantStatus, s.wantRetryAfter)
				}
				if s.wantStatus == 429 && !strings.Contains(body, f.errorShape) {
					t.Fatalf("%s: a 429 in the provider's own shape has %s: %s", s.name, f.errorShape, body)
				}
			}
			snap := f.store.Snapshot()
			if len(snap.Ledger) != 3 || snap.RateLimited != 3 {
				t.Fatalf("3 admitted invites delivered and 3 refusals counted, got %d delivered, %d refused", len(snap.Ledger), snap.RateLimited)
			}
			var refusals []string
			for _, c := range f.callLog() {
				if c.Limited {
					if c.AnsweredAt.IsZero() || c.Client == "" || strings.Contains(c.Client, "sandbox") {
						t.Fatalf("a refusal is logged with its answer time and a client name that is not the secret: %+v", c)
					}
					refusals = append(refusals, strconv.Itoa(c.RetryAfter))
				}
			}
			if got := strings.Join(refusals, ","); got != "2,1,2" {
				t.Fatalf("call log Retry-Afters %s, want 2,1,2", got)
			}
		})
	}
}

// TestRateLimitHoldsForAClientThatHonoursRetryAfter: a client calling as fast as it may and waiting each
// Retry-After it is given gets the configured rate over ten minutes, never more, and is never refused twice
// in a row.
func TestRateLimitHoldsForAClientThatHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	for _, f := range limitedFakes(t, sandbox.RateLimit{RequestsPerMinute: 60, Burst: 5}, clock) {
		t.Run(f.name, func(t *testing.T) {
			end := clock.Now().Add(10 * time.Minute)
			admitted, refusedInARow := 0, 0
			for clock.Now().Before(end) {
				resp := f.request(t)
				_ = readAll(t, resp)
				if resp.StatusCode == http.StatusOK {
					admitted++
					refusedInARow = 0
					clock.Add(100 * time.Millisecond)
					continue
				}
				if refusedInARow++; refusedInARow > 1 {
					t.Fatalf("refused again after waiting the Retry-After it was given (%s)", resp.Header.Get("Retry-After"))
				}
				wait, _ := time.ParseDuration(resp.Header.Get("Retry-After") + "s")
				clock.Add(wait)
			}
			// 5 at once, then one a second: 605 at most in ten minutes; waiting whole seconds after a refusal
			// while a token was nearly there costs a little.
			if admitted > 605 || admitted < 595 {
				t.Fatalf("admitted %d requests in 10 minutes at 60/min with a burst of 5", admitted)
			}
		})
	}
}

// TestRateLimitIsPerCredential: two tokens of one fake have a bucket each.
func TestRateLimitIsPerCredential(t *testing.T) {
	t.Parallel()
	cfg := sandbox.DefaultConfig()
	tokens := append(cfg.WordPress.Tokens, sandbox.Credential{Secret: "second-token"})
	wp := sandbox.NewWordPress(sandbox.WordPressOptions{Sites: cfg.WordPress.Sites, Tokens: tokens,
		RateLimit: sandbox.RateLimit{RequestsPerMinute: 1}})
	srv := httptest.NewServer(wp)
	t.Cleanup(srv.Close)
	cases := []struct {
		name, token string
		want        int
	}{
		{"first token, first call", wpToken, 200},
		{"first token, second call", wpToken, 429},
		{"second token has its own quota", "second-token", 200},
		{"second token, second call", "second-token", 429},
	}
	for _, tc := range cases {
		status, _ := do(t, http.MethodGet, srv.URL+"/rest/v1.1/me", map[string]string{"Authorization": "Bearer " + tc.token}, "")
		if status != tc.want {
			t.Fatalf("%s: got %d, want %d", tc.name, status, tc.want)
		}
	}
	clients := map[string]bool{}
	for _, c := range wp.CallLog() {
		clients[c.Client] = true
	}
	if len(clients) != 2 {
		t.Fatalf("the call log names two clients, got %v", clients)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
