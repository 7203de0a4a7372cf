package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/siteops/invitation-operator/internal/sandbox"
)

const (
	wixKey  = "sandbox-wix-api-key"
	wixSite = "1f2d3c4b-5a69-4788-99aa-bbccddeeff00"
	wpToken = "sandbox-wpcom-token"
)

func do(t *testing.T, method, target string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
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
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func wixServer(t *testing.T, opts sandbox.WixOptions) (*sandbox.Wix, string) {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	opts.Sites, opts.APIKeys = cfg.Wix.Sites, cfg.Wix.APIKeys
	w := sandbox.NewWix(opts)
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return w, srv.URL
}

const bulkBody = `{"policyIds":["6600344420111308827"],"emails":["ada@example.com"]}`

// TestWixIsAsStrictAsTheRealService checks what the real gateway checks before an invite is sent.
func TestWixIsAsStrictAsTheRealService(t *testing.T) {
	t.Parallel()
	good := map[string]string{"Authorization": wixKey, "wix-site-id": wixSite, "Content-Type": "application/json"}
	with := func(k, v string) map[string]string {
		h := map[string]string{}
		for a, b := range good {
			h[a] = b
		}
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
		return h
	}
	cases := []struct {
		name       string
		opts       sandbox.WixOptions
		header     map[string]string
		body       string
		wantStatus int
		wantInBody string
	}{
		{"missing authorization", sandbox.WixOptions{}, with("Authorization", ""), bulkBody, 401, "UNAUTHENTICATED"},
		{"unknown key", sandbox.WixOptions{}, with("Authorization", "nope"), bulkBody, 401, "UNAUTHENTICATED"},
		{"Bearer prefix accepted by default, as the reference asks", sandbox.WixOptions{}, with("Authorization", "Bearer "+wixKey), bulkBody, 200, `"invites"`},
		{"Bearer prefix rejected when configured", sandbox.WixOptions{RejectBearer: true}, with("Authorization", "Bearer "+wixKey), bulkBody, 401, "UNAUTHENTICATED"},
		{"missing site header", sandbox.WixOptions{}, with("wix-site-id", ""), bulkBody, 403, "PERMISSION_DENIED"},
		{"unknown site", sandbox.WixOptions{}, with("wix-site-id", "00000000-0000-4000-8000-000000000000"), bulkBody, 403, "PERMISSION_DENIED"},
		{"wrong account", sandbox.WixOptions{}, with("wix-account-id", "00000000-0000-4000-8000-000000000000"), bulkBody, 403, "PERMISSION_DENIED"},
		{"site and account headers together", sandbox.WixOptions{}, with("wix-account-id", "0b5c4f8e-2a61-4c3e-9d47-6f0a1b2c3d4e"), bulkBody, 200, `"invites"`},
		{"not JSON", sandbox.WixOptions{}, with("Content-Type", "text/plain"), bulkBody, 400, "validationError"},
		{"unknown field", sandbox.WixOptions{}, good, `{"policyIds":["6600344420111308827"],"emails":["a@example.com"],"sendNow":true}`, 400, "sendNow"},
		{"no roles", sandbox.WixOptions{}, good, `{"policyIds":[],"emails":["a@example.com"]}`, 400, "policyIds"},
		{"unknown role", sandbox.WixOptions{}, good, `{"policyIds":["1"],"emails":["a@example.com"]}`, 400, "policyIds[0]"},
		{"too many emails", sandbox.WixOptions{MaxEmails: 1}, good, `{"policyIds":["6600344420111308827"],"emails":["a@example.com","b@example.com"]}`, 400, "MAX"},
		{"member and bad address fail per email", sandbox.WixOptions{}, good,
			`{"policyIds":["6600344420111308827"],"emails":["owner@example.com","not-an-email","ok@example.com"]}`, 200, `"failedEmails":["owner@example.com","not-an-email"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, url := wixServer(t, tc.opts)
			status, body := do(t, http.MethodPost, url+"/invites/site-invite/bulk", tc.header, tc.body)
			if status != tc.wantStatus || !strings.Contains(body, tc.wantInBody) {
				t.Fatalf("got %d %s, want %d with %q", status, body, tc.wantStatus, tc.wantInBody)
			}
			if status != 200 && len(w.Snapshot().Ledger) != 0 {
				t.Fatal("a rejected request delivered an email")
			}
		})
	}
}

func TestWixListsNoPendingInvites(t *testing.T) {
	t.Parallel()
	w, u := wixServer(t, sandbox.WixOptions{})
	h := map[string]string{"Authorization": wixKey, "wix-site-id": wixSite, "Content-Type": "application/json"}
	if status, _ := do(t, http.MethodPost, u+"/invites/site-invite/bulk", h, bulkBody); status != 200 {
		t.Fatal(status)
	}
	_, body := do(t, http.MethodGet, u+"/roles-management/v2/contributors/query", h, "")
	if strings.Contains(body, "ada@example.com") {
		t.Fatalf("a pending invite must not be visible through the API: %s", body)
	}
	if err := w.Accept(wixSite, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, body = do(t, http.MethodGet, u+"/roles-management/v2/contributors/query", h, ""); !strings.Contains(body, `"invitedEmail":"ada@example.com"`) {
		t.Fatalf("an accepted invite is a contributor: %s", body)
	}
}

func TestWordPressIsAsStrictAsTheRealService(t *testing.T) {
	t.Parallel()
	cfg := sandbox.DefaultConfig()
	wp := sandbox.NewWordPress(sandbox.WordPressOptions{Sites: cfg.WordPress.Sites, Tokens: cfg.WordPress.Tokens})
	srv := httptest.NewServer(wp)
	t.Cleanup(srv.Close)
	newURL := srv.URL + "/rest/v1.1/sites/example.wordpress.com/invites/new"
	jsonBody := `{"invitees":["ada@example.com"],"role":"author"}`
	auth := map[string]string{"Authorization": "Bearer " + wpToken, "Content-Type": "application/json"}
	cases := []struct {
		name       string
		url        string
		header     map[string]string
		body       string
		wantStatus int
		wantInBody string
	}{
		{"missing token", newURL, map[string]string{"Content-Type": "application/json"}, jsonBody, 403, `"error":"authorization_required"`},
		{"token without Bearer", newURL, map[string]string{"Authorization": wpToken}, jsonBody, 403, "authorization_required"},
		{"unknown token", newURL, map[string]string{"Authorization": "Bearer nope"}, jsonBody, 400, `"error":"invalid_token"`},
		{"unknown blog", srv.URL + "/rest/v1.1/sites/nope.example/invites/new", auth, jsonBody, 404, `"error":"unknown_blog"`},
		{"unknown role", newURL, auth, `{"invitees":["a@example.com"],"role":"boss"}`, 400, "is not a valid role"},
		{"site by blog ID", srv.URL + "/rest/v1.1/sites/123456789/invites/new", auth, jsonBody, 200, `"sent":["ada@example.com"]`},
		{"form body, as the documented curl sends", newURL, map[string]string{"Authorization": "Bearer " + wpToken, "Content-Type": "application/x-www-form-urlencoded"},
			url.Values{"invitees[]": {"f@example.com"}, "role": {"author"}}.Encode(), 200, `"sent":["f@example.com"]`},
		{"wpcom/v2 errors have their own shape", srv.URL + "/wpcom/v2/sites/example.wordpress.com/invites/delete", auth, `{}`, 400, `"code":"rest_invalid_param"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(t, http.MethodPost, tc.url, tc.header, tc.body)
			if status != tc.wantStatus || !strings.Contains(body, tc.wantInBody) {
				t.Fatalf("got %d %s, want %d with %q", status, body, tc.wantStatus, tc.wantInBody)
			}
		})
	}
}

func TestLedgerCountsDuplicatesAndStatePageRenders(t *testing.T) {
	t.Parallel()
	w, u := wixServer(t, sandbox.WixOptions{})
	h := map[string]string{"Authorization": wixKey, "wix-site-id": wixSite, "Content-Type": "application/json"}
	for range 2 {
		if status, body := do(t, http.MethodPost, u+"/invites/site-invite/bulk", h, bulkBody); status != 200 {
			t.Fatal(status, body)
		}
	}
	snap := w.Snapshot()
	if snap.Invitations(wixSite, "ada@example.com") != 2 || len(snap.Duplicates) != 1 {
		t.Fatalf("a second invite for the same person is a duplicate the ledger must show: %+v", snap)
	}
	_, page := do(t, http.MethodGet, u+"/", nil, "")
	if !strings.Contains(page, "people invited more than once") || !strings.Contains(page, "ada@example.com") {
		t.Fatalf("page: %s", page)
	}
	_, state := do(t, http.MethodGet, u+"/_sandbox/state", nil, "")
	var decoded sandbox.Snapshot
	if err := json.Unmarshal([]byte(state), &decoded); err != nil || len(decoded.Invites) != 2 || decoded.Calls["invite"] != 2 {
		t.Fatalf("state JSON: %v %s", err, state)
	}
	status, _ := do(t, http.MethodPost, u+"/_sandbox/accept?site="+wixSite+"&email=ada@example.com", nil, "")
	if status != 200 || w.Snapshot().Invites[1].State != sandbox.StateAccepted {
		t.Fatalf("accept endpoint: %d", status)
	}
}

func TestFaultsApplyAsScheduled(t *testing.T) {
	t.Parallel()
	w, u := wixServer(t, sandbox.WixOptions{})
	w.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Status: 429, RetryAfter: "3", Times: 2})
	h := map[string]string{"Authorization": wixKey, "wix-site-id": wixSite, "Content-Type": "application/json"}
	for i, want := range []int{429, 429, 200} {
		req, _ := http.NewRequest(http.MethodPost, u+"/invites/site-invite/bulk", strings.NewReader(bulkBody))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want || (want == 429 && resp.Header.Get("Retry-After") != "3") {
			t.Fatalf("request %d: %d (Retry-After %q), want %d", i, resp.StatusCode, resp.Header.Get("Retry-After"), want)
		}
	}
	if got := w.Snapshot().Invitations(wixSite, "ada@example.com"); got != 1 {
		t.Fatalf("429s must not deliver: %d", got)
	}
}

// TestRandomFaultsFollowTheSeed: a chaos run is reproducible from its printed seed.
func TestRandomFaultsFollowTheSeed(t *testing.T) {
	t.Parallel()
	statuses := func(seed uint64) string {
		w, u := wixServer(t, sandbox.WixOptions{})
		w.Faults().SetRandom(&sandbox.RandomFaults{Rate: 0.5, Kinds: []string{"5xx", "429"}, RetryAfter: 1, Seed: seed})
		h := map[string]string{"Authorization": wixKey, "wix-site-id": wixSite, "Content-Type": "application/json"}
		got := make([]string, 0, 40)
		for range 40 {
			status, _ := do(t, http.MethodPost, u+"/invites/site-invite/bulk", h, bulkBody)
			got = append(got, http.StatusText(status))
		}
		return strings.Join(got, ",")
	}
	a, b, c := statuses(42), statuses(42), statuses(43)
	if a != b {
		t.Fatalf("the same seed gave different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Fatalf("different seeds gave the same 40 answers: %s", a)
	}
	if n := strings.Count(a, "OK"); n < 8 || n > 32 {
		t.Fatalf("rate 0.5 over 40 requests gave %d successes: %s", n, a)
	}
}

// TestEveryEmailCounts: a resend is an email too, so the ledger counts it and an unrequested one shows
// as a duplicate; a 500 that applied the invite delivers it; an expired invite reads as expired.
func TestEveryEmailCounts(t *testing.T) {
	t.Parallel()
	w, u := wixServer(t, sandbox.WixOptions{})
	h := map[string]string{"Authorization": wixKey, "wix-site-id": wixSite, "Content-Type": "application/json"}
	w.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, Status: 500, Applied: true, Times: 1})
	if status, _ := do(t, http.MethodPost, u+"/invites/site-invite/bulk", h, bulkBody); status != 500 {
		t.Fatalf("the fault answers 500, got %d", status)
	}
	snap := w.Snapshot()
	if snap.Emails(wixSite, "ada@example.com") != 1 || len(snap.Invites) != 1 || len(snap.Duplicates) != 0 {
		t.Fatalf("a 500 after the invite was stored still delivered it once: %+v", snap)
	}
	id := snap.Invites[0].ID
	body := `{"inviteId":"` + id + `"}`
	if status, out := do(t, http.MethodPost, u+"/invites/site-invite/"+id+"/resend", h, body); status != 200 {
		t.Fatal(status, out)
	}
	snap = w.Snapshot()
	if snap.Emails(wixSite, "ada@example.com") != 2 || snap.Resends(wixSite, "ada@example.com") != 1 || len(snap.Duplicates) != 1 {
		t.Fatalf("a resend is a second email, which the ledger must show: %+v", snap)
	}
	if status, _ := do(t, http.MethodPost, u+"/_sandbox/expire?site="+wixSite+"&email=ada@example.com", nil, ""); status != 200 {
		t.Fatalf("expire endpoint: %d", status)
	}
	if got := w.Snapshot().Invites[0].State; got != sandbox.StateExpired {
		t.Fatalf("after expiry the invite is %s", got)
	}
	if status, _ := do(t, http.MethodPost, u+"/_sandbox/expire?site="+wixSite+"&email=ada@example.com", nil, ""); status != 404 {
		t.Fatalf("nothing pending is left to expire: want 404, got %d", status)
	}
}
