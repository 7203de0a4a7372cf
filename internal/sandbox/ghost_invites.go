package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ghostTime formats a time as Ghost does: seconds precision (SQLite), milliseconds always .000.
func ghostTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05.000Z")
}

func (g *Ghost) inviteJSON(site *ghostSite, inv *Invite) map[string]any {
	status := "sent"
	if inv.Undelivered {
		status = "pending"
	}
	return map[string]any{"id": inv.ID, "role_id": site.roleIDs[inv.Roles[0]], "status": status, "email": inv.Email,
		"expires": inv.Expires.UnixMilli(), "created_at": ghostTime(inv.Created), "updated_at": ghostTime(inv.Created)}
}

func (g *Ghost) roles(rw http.ResponseWriter, r *http.Request, site *ghostSite) {
	assign := r.URL.Query().Get("permissions") == "assign"
	roles := []any{}
	for _, name := range ghostRoles {
		if assign && name == "Owner" {
			continue
		}
		roles = append(roles, map[string]any{"id": site.roleIDs[name], "name": name, "description": name + "s",
			"created_at": "2026-12-01T09:07:28.000Z", "updated_at": "2026-12-01T09:07:28.000Z"})
	}
	writeJSON(rw, http.StatusOK, map[string]any{"roles": roles})
}

// cannotSave is the refusal Ghost gives for an invite it will not store: a generic message, the
// specific one in context.
func cannotSave(status int, typ, context string) *ghostRefusal {
	msg := map[string]string{"ValidationError": "Validation error, cannot save invite.", "NotFoundError": "Resource not found error, cannot save invite.",
		"NoPermissionError": "Permission error, cannot save invite."}[typ]
	return &ghostRefusal{status: status, typ: typ, text: msg, context: context}
}

// readInviteRequest reads POST /invites/: only the first entry of "invites" is used, as Ghost does, and
// role_id and email must be present (an empty role_id is "not found" later, as measured).
func readInviteRequest(r *http.Request) (email, roleID string, refusal *ghostRefusal) {
	body, err := readBody(r)
	var req struct {
		Invites []struct {
			Email  *string `json:"email"`
			RoleID *string `json:"role_id"`
		} `json:"invites"`
	}
	if err != nil || json.Unmarshal(body, &req) != nil || len(req.Invites) == 0 {
		return "", "", cannotSave(http.StatusUnprocessableEntity, "ValidationError", "No root key ('invites') provided.")
	}
	in := req.Invites[0]
	switch {
	case in.RoleID == nil:
		return "", "", cannotSave(http.StatusUnprocessableEntity, "ValidationError", `Validation (FieldIsRequired) failed for ["role_id"]`)
	case in.Email == nil || *in.Email == "":
		return "", "", cannotSave(http.StatusUnprocessableEntity, "ValidationError", `Validation (FieldIsRequired) failed for ["email"]`)
	}
	return *in.Email, *in.RoleID, nil
}

// checkInvite applies Ghost's checks in its order: already a user (case-sensitive, as Ghost compares),
// the role exists and this key may give it, the address is valid. Caller holds mu.
func (g *Ghost) checkInvite(site *ghostSite, st *siteState, key *ghostKey, email, roleID string) (role string, refusal *ghostRefusal) {
	if _, user := st.members[email]; user {
		return "", cannotSave(http.StatusUnprocessableEntity, "ValidationError", "User is already registered.")
	}
	for name, id := range site.roleIDs {
		if id == roleID {
			role = name
		}
	}
	switch {
	case role == "": // an empty role_id too (measured)
		return "", cannotSave(http.StatusNotFound, "NotFoundError", "Role not found")
	case role == "Owner" || (role == "Administrator" && !key.staff): // Owner: with either key kind (measured)
		return "", cannotSave(http.StatusForbidden, "NoPermissionError", "You do not have permission to add invites")
	case !fakeEmailRE.MatchString(strings.ToLower(email)):
		return "", cannotSave(http.StatusUnprocessableEntity, "ValidationError", "Validation (isEmail) failed for email invites.email")
	}
	return role, nil
}

// createInvite is POST /invites/: once the request passes Ghost's checks, the old invite for the email
// is deleted, the new one stored "pending", emailed, and marked "sent".
func (g *Ghost) createInvite(rw http.ResponseWriter, r *http.Request, site *ghostSite, key *ghostKey, siteURL string, fault *Fault) {
	email, roleID, refusal := readInviteRequest(r)
	if refusal != nil {
		writeRefusal(rw, refusal)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.store.sites[site.id]
	role, refusal := g.checkInvite(site, st, key, email, roleID)
	if refusal != nil {
		writeRefusal(rw, refusal)
		return
	}
	replaced := false
	if old := g.current(site.id, email); old != nil {
		old.State, replaced = StateReplaced, !old.Undelivered
	}
	inv := g.addInvite(st, email, []string{role}) // emailed below, when the mail step succeeds
	inv.Token = ghostToken(email, inv.Expires, inv.ID)
	inv.Undelivered = true
	switch {
	case fault != nil && fault.DieBeforeMail:
		drop(rw) // killed after the insert, before the mail step: the invite stays "pending"
		return
	case g.mailDown.Load() || (fault != nil && fault.MailDown):
		writeGhostError(rw, http.StatusInternalServerError, "EmailError", "ESOCKET", "Error sending email!",
			"Error sending email: Failed to send email. Reason: connect ECONNREFUSED 127.0.0.1:25. Please check your email settings and resend the invitation.")
		return
	}
	kind := DeliveryInvite
	if replaced {
		kind = DeliveryResend
	}
	g.ledger = append(g.ledger, Delivery{Site: site.id, Email: email, Kind: kind, InviteID: inv.ID, At: inv.Created,
		Token: inv.Token, Link: siteURL + "/ghost/signup/" + inv.Token + "/", Subject: g.subject(site, key)})
	if fault != nil && fault.DieAfterMail {
		drop(rw) // the email went out, the "sent" update never happened
		return
	}
	inv.Undelivered = false
	if fault != nil && fault.AcceptThenDrop {
		drop(rw)
		return
	}
	writeJSON(rw, http.StatusCreated, map[string]any{"invites": []any{g.inviteJSON(site, inv)}})
}

// subject is the invitation email's subject: named after the staff user who invited, or impersonal for
// an integration key.
func (g *Ghost) subject(site *ghostSite, key *ghostKey) string {
	if key.staff {
		return site.Owner.Name + " has invited you to join " + site.Title
	}
	return "You have been invited to join " + site.Title
}

// ghostToken makes an accept token shaped like Ghost's: URL-safe base64 without padding.
func ghostToken(email string, expires time.Time, id string) string {
	sum := sha256.Sum256([]byte(email + "|" + id))
	raw := fmt.Sprintf("%d|%s|%s", expires.UnixMilli(), email, hex.EncodeToString(sum[:8]))
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

var ghostEmailFilter = regexp.MustCompile(`^email:(?:'([^']*)'|\[((?:'[^']*',?)*)\])$`)

// listInvites is GET /invites/ (staff only): pending (unmailed), sent and lapsed invites in creation
// order, limit 15 by default, meta.pagination as Ghost writes it. Of NQL it knows the email filters the
// client sends.
func (g *Ghost) listInvites(rw http.ResponseWriter, r *http.Request, site *ghostSite) {
	q := r.URL.Query()
	var emails []string
	if f := q.Get("filter"); f != "" {
		m := ghostEmailFilter.FindStringSubmatch(f)
		if m == nil {
			writeGhostError(rw, http.StatusBadRequest, "BadRequestError", "", "Error parsing filter", "the sandbox knows email filters only")
			return
		}
		emails = []string{m[1]}
		if m[2] != "" {
			emails = strings.Split(strings.ReplaceAll(m[2], "'", ""), ",")
		}
	}
	limit, page := pageParams(q.Get("limit"), q.Get("page"))
	g.mu.Lock()
	var all []*Invite
	for _, inv := range g.invites {
		if inv.Site == site.id && (inv.State == StatePending || inv.State == StateExpired) && (emails == nil || slices.Contains(emails, inv.Email)) {
			all = append(all, inv)
		}
	}
	out := []any{}
	for _, inv := range all[min((page-1)*limit, len(all)):min(page*limit, len(all))] {
		out = append(out, fieldsOf(g.inviteJSON(site, inv), q.Get("fields")))
	}
	g.mu.Unlock()
	writeJSON(rw, http.StatusOK, map[string]any{"invites": out, "meta": map[string]any{"pagination": pagination(page, limit, len(all))}})
}

func pageParams(limitS, pageS string) (limit, page int) {
	limit, page = 15, 1
	if l, err := strconv.Atoi(limitS); err == nil && l > 0 {
		limit = l
	}
	if p, err := strconv.Atoi(pageS); err == nil && p > 0 {
		page = p
	}
	return limit, page
}

func pagination(page, limit, total int) map[string]any {
	pages := max(1, int(math.Ceil(float64(total)/float64(limit))))
	var next, prev any
	if page < pages {
		next = page + 1
	}
	if page > 1 {
		prev = page - 1
	}
	return map[string]any{"page": page, "limit": limit, "pages": pages, "total": total, "next": next, "prev": prev}
}

// fieldsOf keeps only the named fields (Ghost's fields=id,email).
func fieldsOf(m map[string]any, fields string) map[string]any {
	if fields == "" {
		return m
	}
	out := map[string]any{}
	for _, f := range strings.Split(fields, ",") {
		if v, ok := m[f]; ok {
			out[f] = v
		}
	}
	return out
}

func (g *Ghost) findInvite(site *ghostSite, id string) *Invite {
	inv := g.byID[id]
	if inv == nil || inv.Site != site.id || (inv.State != StatePending && inv.State != StateExpired) {
		return nil
	}
	return inv
}

func (g *Ghost) readInvite(rw http.ResponseWriter, site *ghostSite, id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv := g.findInvite(site, id)
	if inv == nil {
		writeGhostError(rw, http.StatusNotFound, "NotFoundError", "", "Resource not found error, cannot read invite.", "Invite not found.")
		return
	}
	writeJSON(rw, http.StatusOK, map[string]any{"invites": []any{g.inviteJSON(site, inv)}})
}

func (g *Ghost) deleteInvite(rw http.ResponseWriter, site *ghostSite, id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv := g.findInvite(site, id)
	if inv == nil {
		writeGhostError(rw, http.StatusNotFound, "NotFoundError", "", "Resource not found error, cannot delete invite.", "Resource could not be found.")
		return
	}
	inv.State = StateRevoked
	rw.WriteHeader(http.StatusNoContent)
}

// users is GET /users/ with the roles included; both key kinds may read it.
func (g *Ghost) users(rw http.ResponseWriter, r *http.Request, site *ghostSite) {
	q := r.URL.Query()
	limit, page := pageParams(q.Get("limit"), q.Get("page"))
	g.mu.Lock()
	st := g.store.sites[site.id]
	emails := make([]string, 0, len(st.members))
	for e := range st.members {
		emails = append(emails, e)
	}
	slices.SortFunc(emails, func(a, b string) int { return strings.Compare(site.userIDs[a], site.userIDs[b]) })
	shown := emails[min((page-1)*limit, len(emails)):min(page*limit, len(emails))]
	out := make([]any, 0, len(shown))
	for _, e := range shown {
		if site.userIDs[e] == "" {
			site.userIDs[e] = fmt.Sprintf("6b0e8e9f%016x", len(site.userIDs)+1)
		}
		roles := []any{}
		for _, name := range st.members[e] {
			roles = append(roles, map[string]any{"id": site.roleIDs[name], "name": name})
		}
		out = append(out, fieldsOf(map[string]any{"id": site.userIDs[e], "name": e, "email": e, "status": "active", "roles": roles}, q.Get("fields")))
	}
	g.mu.Unlock()
	writeJSON(rw, http.StatusOK, map[string]any{"users": out, "meta": map[string]any{"pagination": pagination(page, limit, len(emails))}})
}

// acceptInvitation is POST /authentication/invitation/, what the invited person's browser sends: the
// token must belong to an invite that was emailed ("sent") and has not lapsed; the user is created with
// the email given (Ghost does not compare it with the invite's) and the invite disappears.
func (g *Ghost) acceptInvitation(rw http.ResponseWriter, r *http.Request) {
	body, _ := readBody(r)
	var req struct {
		Invitation []struct {
			Token string `json:"token"`
			Email string `json:"email"`
		} `json:"invitation"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.Invitation) == 0 {
		writeGhostError(rw, http.StatusUnprocessableEntity, "ValidationError", "", "Validation error, cannot accept invitation.",
			"No root key ('invitation') provided.")
		return
	}
	in := req.Invitation[0]
	g.mu.Lock()
	defer g.mu.Unlock()
	var inv *Invite
	for _, i := range g.invites {
		if i.Token == in.Token && !i.Undelivered && (i.State == StatePending || i.State == StateExpired) {
			inv = i
		}
	}
	switch {
	case inv == nil:
		writeGhostError(rw, http.StatusNotFound, "NotFoundError", "", "Invite not found.", "")
		return
	case !g.now().Before(inv.Expires):
		writeGhostError(rw, http.StatusNotFound, "NotFoundError", "", "Invite is expired.", "")
		return
	}
	if _, taken := g.store.sites[inv.Site].members[in.Email]; taken {
		writeGhostError(rw, http.StatusUnprocessableEntity, "ValidationError", "", "Could not create an account, email is already in use.",
			"Attempting to create an account with existing email address.")
		return
	}
	_ = g.acceptLocked(inv, in.Email)
	writeJSON(rw, http.StatusOK, map[string]any{"invitation": []any{map[string]string{"message": "Invitation accepted."}}})
}

// acceptLocked makes email a user with the invite's role and deletes the invite. Caller holds mu.
func (g *Ghost) acceptLocked(inv *Invite, email string) error {
	inv.State = StateAccepted
	g.store.sites[inv.Site].members[email] = slices.Clone(inv.Roles)
	return nil
}

// accept, expire and revoke serve the sandbox routes (/_sandbox/accept, /_sandbox/expire, /_sandbox/revoke).
func (g *Ghost) sandboxAccept(site, email string) error { return g.Accept(site, email) }
func (g *Ghost) sandboxExpire(site, email string) error { return g.Expire(site, email) }
func (g *Ghost) sandboxRevoke(site, email string) error { return g.Revoke(site, email) }
