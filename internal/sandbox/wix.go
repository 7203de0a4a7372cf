package sandbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// WixOptions configures the fake Wix.
type WixOptions struct {
	Sites   []Site
	APIKeys []Credential
	// RejectBearer refuses "Bearer <key>". The reference leaves open whether Wix accepts the prefix and
	// asks fakes to accept both forms, so by default it is accepted; the client never sends it.
	RejectBearer bool
	// Latency delays every answer (on top of faults), like a real network.
	Latency time.Duration
	// MaxEmails caps emails per bulk request; 0 means 50, the cap of Wix's sibling Account Invites API.
	MaxEmails int
	// InviteTTL is how long an invite is valid after it is sent or resent (its expirationDate); 0 means 30
	// days, what Wix's dashboard says.
	InviteTTL time.Duration
	// RateLimit is Wix's own quota per API key, answered beyond with 429 RESOURCE_EXHAUSTED and a
	// Retry-After; zero means none.
	RateLimit RateLimit
	// Clock, when set, is the fake's clock (tests of time-dependent behaviour); nil means time.Now.
	Clock func() time.Time
}

// Wix is a fake of Wix Site Invites and the Contributors API. Like the real service it lists no pending
// invites: only the test-side ledger (Snapshot) shows them.
type Wix struct {
	*store
	opts WixOptions
}

// NewWix returns the fake; serve it with httptest.NewServer or http.Server.
func NewWix(opts WixOptions) *Wix {
	if opts.MaxEmails == 0 {
		opts.MaxEmails = 50
	}
	w := &Wix{store: newStore("Wix", "9f1c2b3a-0000-4000-8000-%012d", opts.Sites, opts.APIKeys), opts: opts}
	w.ttl = cmp.Or(opts.InviteTTL, 30*24*time.Hour)
	w.quota = newQuota(opts.RateLimit)
	if opts.Clock != nil {
		w.now = opts.Clock
	}
	w.mux.HandleFunc("POST /invites/site-invite/bulk", w.guard(OpInvite, true, w.bulk))
	w.mux.HandleFunc("POST /invites/site-invite/{id}/resend", w.guard(OpResend, true, w.resendInvite))
	w.mux.HandleFunc("POST /invites/site-invite/{id}/revoke", w.guard(OpRevoke, true, w.revoke))
	w.mux.HandleFunc("GET /roles-management/v2/contributors/query", w.guard(OpContributors, true, w.contributors))
	w.mux.HandleFunc("GET /roles-management/roles", w.guard(OpVerify, false, w.roles))
	return w
}

type wixCtx struct {
	site *siteState
	body []byte
}

func wixError(rw http.ResponseWriter, status int, code, message string) {
	writeJSON(rw, status, map[string]any{"message": message,
		"details": map[string]any{"applicationError": map[string]any{"code": code, "description": message, "data": map[string]any{}}}})
}

func wixViolation(rw http.ResponseWriter, field, description, rule string) {
	writeJSON(rw, http.StatusBadRequest, map[string]any{"message": field + ": " + description,
		"details": map[string]any{"validationError": map[string]any{"fieldViolations": []any{
			map[string]any{"field": field, "description": description, "violatedRule": rule}}}}})
}

// guard checks what the real gateway checks before the method runs — the rate limit, the API key, the
// account and site headers, the content type — then applies faults and latency.
func (w *Wix) guard(op string, needSite bool, h func(http.ResponseWriter, *http.Request, wixCtx, *Fault)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		call, admitted, retryAfter := w.arrive(op, r)
		if !admitted {
			(&Fault{Latency: w.opts.Latency}).delay(r)
			limitHeader(rw, retryAfter)
			wixError(rw, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "Too many requests for this API key; retry after "+itoa(retryAfter)+" s")
			w.refused(call)
			return
		}
		fault := w.faults.next(op)
		(&Fault{Latency: w.opts.Latency}).delay(r)
		fault.delay(r)
		c, ok := w.authorize(rw, r, needSite)
		if !ok {
			return
		}
		if r.Method == http.MethodPost {
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				wixViolation(rw, "body", "content-type must be application/json", "FORMAT")
				return
			}
			var err error
			if c.body, err = readBody(r); err != nil {
				wixViolation(rw, "body", "unreadable body", "FORMAT")
				return
			}
		}
		if fault != nil && fault.Status != 0 {
			if fault.Applied {
				h(discard{}, r, c, fault)
			}
			if fault.RetryAfter != "" {
				rw.Header().Set("Retry-After", fault.RetryAfter)
			}
			writeJSON(rw, fault.Status, map[string]any{"message": "", "details": map[string]any{}})
			return
		}
		if fault != nil && fault.AcceptThenDrop {
			h(discard{}, r, c, fault) // applied, but the answer never leaves
			drop(rw)
			return
		}
		h(rw, r, c, fault)
	}
}

// authorize checks the API key and the account and site headers; on failure it has answered.
func (w *Wix) authorize(rw http.ResponseWriter, r *http.Request, needSite bool) (wixCtx, bool) {
	var c wixCtx
	key := r.Header.Get("Authorization")
	if after, ok := strings.CutPrefix(key, "Bearer "); ok && !w.opts.RejectBearer {
		key = after
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	cred, known := w.credentials[key]
	siteID := r.Header.Get("wix-site-id")
	c.site = w.sites[siteID]
	switch acct := r.Header.Get("wix-account-id"); {
	case key == "" || !known:
		wixError(rw, http.StatusUnauthorized, "UNAUTHENTICATED", "Request is not authenticated")
	case acct != "" && acct != cred.AccountID:
		wixError(rw, http.StatusForbidden, "PERMISSION_DENIED", "API key does not belong to this account")
	case needSite && siteID == "":
		wixError(rw, http.StatusForbidden, "PERMISSION_DENIED", "Missing wix-site-id header")
	case siteID == "" && acct == "":
		wixError(rw, http.StatusForbidden, "PERMISSION_DENIED", "Missing wix-account-id or wix-site-id header")
	case siteID != "" && (c.site == nil || !w.credentialMaySee(cred, c.site)):
		wixError(rw, http.StatusForbidden, "PERMISSION_DENIED", "API key has no access to this site")
	default:
		return c, true
	}
	return c, false
}

// decodeStrict decodes JSON rejecting unknown fields, so a misspelt field in the client fails loudly.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

var fakeEmailRE = regexp.MustCompile(`^[^@\s<>]+@[^@\s<>]+\.[a-z]{2,}$`)

type wixInvite struct {
	ID             string   `json:"id"`
	SiteID         string   `json:"siteId"`
	Email          string   `json:"email"`
	PolicyIDs      []string `json:"policyIds"`
	Status         string   `json:"status"`
	AcceptLink     string   `json:"acceptLink"`
	DateCreated    string   `json:"dateCreated"`
	ExpirationDate string   `json:"expirationDate"`
}

func toWix(inv *Invite) wixInvite {
	status := map[InviteState]string{StatePending: "Pending", StateAccepted: "Used", StateRevoked: "Deleted", StateExpired: "Expired"}[inv.State]
	return wixInvite{ID: inv.ID, SiteID: inv.Site, Email: inv.Email, PolicyIDs: inv.Roles, Status: status,
		AcceptLink:  "https://sandbox.invalid/accept/" + inv.ID,
		DateCreated: inv.Created.Format(time.RFC3339), ExpirationDate: inv.Expires.Format(time.RFC3339Nano)}
}

// bulk handles POST /invites/site-invite/bulk.
func (w *Wix) bulk(rw http.ResponseWriter, _ *http.Request, c wixCtx, fault *Fault) {
	var req struct {
		PolicyIDs            []string `json:"policyIds"`
		Emails               []string `json:"emails"`
		InvitePurpose        string   `json:"invitePurpose"`
		DefaultEmailLanguage string   `json:"defaultEmailLanguage"`
		LocationRestriction  *struct {
			LocationIDs []string `json:"locationIds"`
		} `json:"locationRestriction"`
	}
	if err := decodeStrict(c.body, &req); err != nil {
		wixViolation(rw, "body", err.Error(), "FORMAT")
		return
	}
	switch {
	case len(req.PolicyIDs) == 0:
		wixViolation(rw, "policyIds", "must not be empty", "REQUIRED_FIELD")
		return
	case len(req.Emails) == 0:
		wixViolation(rw, "emails", "must not be empty", "REQUIRED_FIELD")
		return
	case len(req.Emails) > w.opts.MaxEmails:
		wixViolation(rw, "emails", "too many emails", "MAX")
		return
	}
	for i, p := range req.PolicyIDs {
		if !slices.Contains(c.site.Roles, p) {
			wixViolation(rw, "policyIds["+itoa(i)+"]", "role "+p+" does not exist on this site", "CUSTOM")
			return
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := struct {
		Invites      []wixInvite `json:"invites"`
		FailedEmails []string    `json:"failedEmails"`
	}{Invites: []wixInvite{}, FailedEmails: []string{}}
	for _, email := range req.Emails {
		_, member := c.site.members[strings.ToLower(email)]
		_, injected := fault.inviteeError(email)
		if member || injected || !fakeEmailRE.MatchString(email) {
			out.FailedEmails = append(out.FailedEmails, email)
			continue
		}
		out.Invites = append(out.Invites, toWix(w.invite(c.site, email, req.PolicyIDs)))
	}
	writeJSON(rw, http.StatusOK, out)
}

func (f *Fault) inviteeError(email string) (string, bool) {
	if f == nil {
		return "", false
	}
	code, ok := f.InviteeErrors[email]
	return code, ok
}

func (w *Wix) inviteFor(rw http.ResponseWriter, r *http.Request, c wixCtx) *Invite {
	id := r.PathValue("id")
	var req struct {
		InviteID             string `json:"inviteId"`
		DefaultEmailLanguage string `json:"defaultEmailLanguage"`
	}
	if err := decodeStrict(c.body, &req); err != nil || req.InviteID != id {
		wixViolation(rw, "inviteId", "must match the invite in the path", "CUSTOM")
		return nil
	}
	inv := w.byID[id]
	if inv == nil || inv.Site != c.site.ID {
		wixError(rw, http.StatusNotFound, "NOT_FOUND", "invite "+id+" not found")
		return nil
	}
	return inv
}

// inviteIn is inviteFor for an invite in one of states: Wix answers FAILED_PRECONDITION for any other.
func (w *Wix) inviteIn(rw http.ResponseWriter, r *http.Request, c wixCtx, states ...InviteState) *Invite {
	inv := w.inviteFor(rw, r, c)
	if inv != nil && !slices.Contains(states, inv.State) {
		wixError(rw, http.StatusPreconditionRequired, "FAILED_PRECONDITION", "invite is "+string(inv.State))
		return nil
	}
	return inv
}

func (w *Wix) resendInvite(rw http.ResponseWriter, r *http.Request, c wixCtx, _ *Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	inv := w.inviteIn(rw, r, c, StatePending, StateExpired)
	if inv == nil {
		return
	}
	w.resend(inv)
	writeJSON(rw, http.StatusOK, map[string]any{"invite": toWix(inv)})
}

func (w *Wix) revoke(rw http.ResponseWriter, r *http.Request, c wixCtx, _ *Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	inv := w.inviteIn(rw, r, c, StatePending)
	if inv == nil {
		return
	}
	inv.State = StateRevoked
	writeJSON(rw, http.StatusOK, map[string]any{})
}

func (w *Wix) contributors(rw http.ResponseWriter, _ *http.Request, c wixCtx, _ *Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	emails := make([]string, 0, len(c.site.members))
	for e := range c.site.members {
		emails = append(emails, e)
	}
	slices.Sort(emails)
	list := make([]any, 0, len(emails))
	for i, e := range emails {
		var assignments []any
		for _, role := range c.site.members[e] {
			assignments = append(assignments, map[string]any{"policy": map[string]any{"id": role}, "assignmentId": "as-" + itoa(i)})
		}
		id := "acct-" + itoa(i)
		list = append(list, map[string]any{"id": id, "invitedEmail": e, "isClient": false, "isTeam": true,
			"metaData": map[string]any{"id": id, "email": e, "fullName": e, "assignments": assignments}})
	}
	writeJSON(rw, http.StatusOK, map[string]any{"contributors": list})
}

func (w *Wix) roles(rw http.ResponseWriter, _ *http.Request, _ wixCtx, _ *Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := map[string]bool{}
	roles := []any{}
	for _, s := range w.sites {
		for _, r := range s.Roles {
			if !seen[r] {
				seen[r] = true
				roles = append(roles, map[string]any{"id": r, "title": "Role " + r, "restrictFromLevel": "Account"})
			}
		}
	}
	writeJSON(rw, http.StatusOK, map[string]any{"predefinedRoles": roles, "customRoles": []any{}})
}
