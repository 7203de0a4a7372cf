package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WordPressOptions configures the fake WordPress.com.
type WordPressOptions struct {
	Sites  []Site
	Tokens []Credential
	// WPErrorShape answers per-invitee errors as a serialized WP_Error ({"errors": {code: [msg]}}) instead
	// of the flat {"code", "message"} the mobile apps read; the client must read both.
	WPErrorShape bool
	// EmptyErrorsAsList encodes an empty errors map as [] (what PHP does for an empty array) instead of {}.
	EmptyErrorsAsList bool
	// Latency delays every answer (on top of faults), like a real network.
	Latency time.Duration
	// LongValues answers with invite keys and role names longer than status can hold (100 and 80
	// characters), as a provider could: the operator must clamp them, never fail its status write.
	LongValues bool
	// InviteTTL, when positive, lets invites lapse that long after they are sent or resent; the listing
	// then shows them neither pending nor accepted. WordPress.com documents no validity, so by default
	// invites never lapse.
	InviteTTL time.Duration
	// RateLimit is WordPress.com's own quota per token, answered beyond with 429 and a Retry-After (in
	// the namespace's error shape); zero means none.
	RateLimit RateLimit
	// Clock, when set, is the fake's clock (tests of time-dependent behaviour); nil means time.Now.
	Clock func() time.Time
}

// WordPress is a fake of WordPress.com's invite endpoints (rest/v1.1 and wpcom/v2).
type WordPress struct {
	*store
	opts WordPressOptions
}

// NewWordPress returns the fake; serve it with httptest.NewServer or http.Server.
func NewWordPress(opts WordPressOptions) *WordPress {
	idFormat := "wpinv%08d"
	if opts.LongValues {
		idFormat = "wpinv" + strings.Repeat("k", 87) + "%08d"
	}
	w := &WordPress{store: newStore("WordPress", idFormat, opts.Sites, opts.Tokens), opts: opts}
	w.ttl = opts.InviteTTL
	w.quota = newQuota(opts.RateLimit)
	if opts.Clock != nil {
		w.now = opts.Clock
	}
	w.mux.HandleFunc("POST /rest/v1.1/sites/{site}/invites/new", w.guard(OpInvite, w.newInvites))
	w.mux.HandleFunc("GET /rest/v1.1/sites/{site}/invites", w.guard(OpList, w.list))
	w.mux.HandleFunc("POST /rest/v1.1/sites/{site}/invites/{key}/resend", w.guard(OpResend, w.resendInvite))
	w.mux.HandleFunc("GET /rest/v1.1/sites/{site}/users", w.guard(OpUsers, w.users))
	w.mux.HandleFunc("POST /wpcom/v2/sites/{site}/invites/delete", w.guard(OpRevoke, w.deleteInvites))
	w.mux.HandleFunc("GET /rest/v1.1/me", w.guard(OpVerify, w.me))
	return w
}

type wpCtx struct {
	site *siteState
	body []byte
	v2   bool
}

// wpError answers in the namespace's error shape: {error, message} for rest/v1.1, {code, message, data}
// for wpcom/v2.
func wpError(rw http.ResponseWriter, c wpCtx, status int, code, message string) {
	if c.v2 {
		writeJSON(rw, status, map[string]any{"code": code, "message": message, "data": map[string]any{"status": status}})
		return
	}
	writeJSON(rw, status, map[string]any{"error": code, "message": message})
}

// guard checks what the real service checks before the method runs — the rate limit, the token, the
// site — then applies faults and latency.
func (w *WordPress) guard(op string, h func(http.ResponseWriter, *http.Request, wpCtx)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		c := wpCtx{v2: strings.HasPrefix(r.URL.Path, "/wpcom/v2/")}
		call, admitted, retryAfter := w.arrive(op, r)
		if !admitted {
			(&Fault{Latency: w.opts.Latency}).delay(r)
			limitHeader(rw, retryAfter)
			wpError(rw, c, http.StatusTooManyRequests, "rate_limit_exceeded", "Too many requests; retry after "+itoa(retryAfter)+" seconds.")
			w.refused(call)
			return
		}
		fault := w.faults.next(op)
		(&Fault{Latency: w.opts.Latency}).delay(r)
		fault.delay(r)
		auth := r.Header.Get("Authorization")
		token, bearer := strings.CutPrefix(auth, "Bearer ")
		if auth == "" || !bearer {
			wpError(rw, c, http.StatusForbidden, "authorization_required", "An active access token must be used to perform this action.")
			return
		}
		w.mu.Lock()
		cred, known := w.credentials[token]
		if siteName := r.PathValue("site"); siteName != "" {
			c.site = w.site(siteName)
		}
		w.mu.Unlock()
		if !known {
			wpError(rw, c, http.StatusBadRequest, "invalid_token", "The OAuth2 token is invalid.")
			return
		}
		if r.PathValue("site") != "" {
			if c.site == nil {
				wpError(rw, c, http.StatusNotFound, "unknown_blog", "Unknown blog")
				return
			}
			if !w.credentialMaySee(cred, c.site) {
				wpError(rw, c, http.StatusForbidden, "unauthorized", "User cannot manage invites for specified site")
				return
			}
		}
		if r.Method == http.MethodPost {
			var err error
			if c.body, err = readBody(r); err != nil {
				wpError(rw, c, http.StatusBadRequest, "invalid_input", "unreadable body")
				return
			}
		}
		if fault != nil && fault.Status != 0 {
			if fault.Applied {
				h(discard{}, withFault(r, fault), c)
			}
			if fault.EchoAuthorization {
				// A provider that repeats the request's credential in its error text.
				wpError(rw, c, fault.Status, "invalid_input", "Unexpected header Authorization: "+auth)
				return
			}
			if fault.RetryAfter != "" {
				rw.Header().Set("Retry-After", fault.RetryAfter)
			}
			rw.Header().Set("Content-Type", "text/html")
			rw.WriteHeader(fault.Status)
			_, _ = rw.Write([]byte("<html><body>upstream error</body></html>"))
			return
		}
		if fault != nil && fault.AcceptThenDrop {
			h(discard{}, withFault(r, fault), c)
			drop(rw)
			return
		}
		h(rw, withFault(r, fault), c)
	}
}

// newInvites handles invites/new with a JSON or form body, as WordPress.com accepts both.
func (w *WordPress) newInvites(rw http.ResponseWriter, r *http.Request, c wpCtx) {
	var req struct {
		Invitees   json.RawMessage `json:"invitees"`
		Role       string          `json:"role"`
		Message    string          `json:"message"`
		Source     string          `json:"source"`
		IsExternal bool            `json:"is_external"`
	}
	var invitees []string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(c.body, &req); err != nil {
			wpError(rw, c, http.StatusBadRequest, "invalid_input", "Invalid JSON body")
			return
		}
		var one string
		if json.Unmarshal(req.Invitees, &invitees) != nil && json.Unmarshal(req.Invitees, &one) == nil {
			invitees = strings.Split(one, ",")
		}
	} else {
		form, err := url.ParseQuery(string(c.body))
		if err != nil {
			wpError(rw, c, http.StatusBadRequest, "invalid_input", "Invalid form body")
			return
		}
		invitees = append(form["invitees[]"], form["invitees"]...)
		req.Role, req.Message = form.Get("role"), form.Get("message")
	}
	if len(invitees) == 0 {
		wpError(rw, c, http.StatusBadRequest, "invalid_input", "No invitees were given")
		return
	}
	if !slices.Contains(c.site.Roles, req.Role) {
		wpError(rw, c, http.StatusBadRequest, "invalid_input", "The role \""+req.Role+"\" is not a valid role")
		return
	}
	fault := faultOf(r)
	w.mu.Lock()
	defer w.mu.Unlock()
	sent := []string{}
	errs := map[string]any{}
	for _, raw := range invitees {
		email := strings.ToLower(strings.TrimSpace(raw))
		code, msg := "", ""
		if injected, ok := fault.inviteeError(email); ok {
			code, msg = injected, inviteeMessages[injected]
		} else if _, member := c.site.members[email]; member {
			code, msg = "invalid_input_has_role", "User already has a role on your site."
		} else if !fakeEmailRE.MatchString(email) {
			code, msg = "invalid_input", "Invalid email"
		}
		if code != "" {
			errs[raw] = w.inviteeError(code, msg)
			continue
		}
		w.invite(c.site, email, []string{req.Role})
		sent = append(sent, raw)
	}
	var errors any = errs
	if len(errs) == 0 && w.opts.EmptyErrorsAsList {
		errors = []any{}
	}
	writeJSON(rw, http.StatusOK, map[string]any{"sent": sent, "errors": errors})
}

// inviteeMessages are the texts WordPress.com's apps show for the per-invitee codes they know.
var inviteeMessages = map[string]string{
	"invalid_input":                "Invalid email",
	"invalid_input_has_role":       "User already has a role on your site.",
	"invalid_input_following":      "User is already following this site.",
	"invalid_user_blocked_invites": "User has blocked invites from this site.",
}

func (w *WordPress) inviteeError(code, msg string) any {
	if w.opts.WPErrorShape {
		return map[string]any{"errors": map[string][]string{code: {msg}}, "error_data": []any{}}
	}
	return map[string]any{"code": code, "message": msg}
}

// list handles the invites list: pending, accepted and lapsed invites (revoked ones are deleted), paged by
// number (at most 100) and offset, with the total in found.
func (w *WordPress) list(rw http.ResponseWriter, r *http.Request, c wpCtx) {
	q := r.URL.Query()
	number, _ := strconv.Atoi(q.Get("number"))
	if number <= 0 || number > 100 {
		number = 100
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	if f := faultOf(r); f != nil && f.EndlessPages {
		w.endlessPage(rw, offset, number)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var all []*Invite
	for _, inv := range w.invites {
		if inv.Site == c.site.ID && inv.State != StateRevoked {
			all = append(all, inv)
		}
	}
	page := []any{}
	for i := max(offset, 0); i < len(all) && len(page) < number; i++ {
		inv := all[i]
		var accepted any
		if inv.State == StateAccepted {
			accepted = inv.Created.Add(time.Hour).Format(time.RFC3339)
		}
		role := inv.Roles[0]
		if w.opts.LongValues {
			role += "-" + strings.Repeat("r", 79-len(role))
		}
		page = append(page, map[string]any{"invite_key": inv.ID, "role": role, "is_pending": inv.State == StatePending,
			"invite_date": inv.Created.Format(time.RFC3339), "accepted_date": accepted,
			"user":       map[string]any{"login": "", "email": inv.Email, "name": inv.Email, "avatar_URL": ""},
			"invited_by": map[string]any{"ID": 1, "login": "sandbox", "name": "Sandbox", "site_ID": 1}})
	}
	writeJSON(rw, http.StatusOK, map[string]any{"found": len(all), "invites": page, "links": []any{}})
}

// endlessPage is a page of a listing that never ends: full of other people's pending invites, each page
// about 20 KiB, always claiming a billion more.
func (w *WordPress) endlessPage(rw http.ResponseWriter, offset, number int) {
	page := make([]any, 0, number)
	for i := range number {
		n := offset + i
		page = append(page, map[string]any{"invite_key": fmt.Sprintf("endless%010d", n), "role": "author", "is_pending": true,
			"invite_date": "2026-01-01T00:00:00+00:00", "accepted_date": nil,
			"user": map[string]any{"login": "", "email": fmt.Sprintf("stranger%d@elsewhere.example", n), "name": "Stranger", "avatar_URL": ""}})
	}
	writeJSON(rw, http.StatusOK, map[string]any{"found": 1 << 30, "invites": page, "links": []any{}})
}

func (w *WordPress) resendInvite(rw http.ResponseWriter, r *http.Request, c wpCtx) {
	w.mu.Lock()
	defer w.mu.Unlock()
	inv := w.byID[r.PathValue("key")]
	if inv == nil || inv.Site != c.site.ID || (inv.State != StatePending && inv.State != StateExpired) {
		wpError(rw, c, http.StatusNotFound, "invalid_invite", "The invite key is invalid.")
		return
	}
	w.resend(inv)
	writeJSON(rw, http.StatusOK, map[string]any{"success": true})
}

func (w *WordPress) users(rw http.ResponseWriter, r *http.Request, c wpCtx) {
	search := strings.ToLower(r.URL.Query().Get("search"))
	w.mu.Lock()
	defer w.mu.Unlock()
	users := []any{}
	i := 0
	for email, roles := range c.site.members {
		i++
		if search == "" || strings.Contains(email, strings.Trim(search, "*")) {
			users = append(users, map[string]any{"ID": i, "login": strings.Split(email, "@")[0], "email": email, "roles": roles})
		}
	}
	writeJSON(rw, http.StatusOK, map[string]any{"found": len(users), "users": users})
}

func (w *WordPress) deleteInvites(rw http.ResponseWriter, _ *http.Request, c wpCtx) {
	var req struct {
		InviteIDs []string `json:"invite_ids"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil || len(req.InviteIDs) == 0 {
		wpError(rw, c, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): invite_ids")
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	deleted, invalid := []string{}, []string{}
	for _, id := range req.InviteIDs {
		inv := w.byID[id]
		if inv == nil || inv.Site != c.site.ID || inv.State != StatePending {
			invalid = append(invalid, id)
			continue
		}
		inv.State = StateRevoked
		deleted = append(deleted, id)
	}
	writeJSON(rw, http.StatusOK, map[string]any{"deleted": deleted, "invalid": invalid})
}

func (w *WordPress) me(rw http.ResponseWriter, _ *http.Request, _ wpCtx) {
	writeJSON(rw, http.StatusOK, map[string]any{"ID": 1, "username": "sandbox", "display_name": "Sandbox"})
}
