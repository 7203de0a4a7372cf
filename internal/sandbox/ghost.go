package sandbox

import (
	"cmp"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// GhostSite seeds one fake Ghost site. Several sites share one port, each under its own path, the way
// Ghost serves a site in a subdirectory: the site URL is the server's address plus Path.
type GhostSite struct {
	// Path is the site's path on the fake ("" for the root, "/docs" for a second site).
	Path  string `json:"path"`
	Title string `json:"title"`
	// Owner is the site's owner; staff keys act as this user.
	Owner GhostUser `json:"owner"`
	// Editors are further staff users, with the Editor role.
	Editors []string `json:"editors,omitempty"`
	// StaffKeys are staff access tokens of the owner, "<24-hex id>:<64-hex secret>".
	StaffKeys []string `json:"staffKeys"`
	// IntegrationKeys are custom integrations' Admin API keys, same form.
	IntegrationKeys []string `json:"integrationKeys"`
}

// GhostUser is a staff user of a fake site.
type GhostUser struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// GhostOptions configures the fake Ghost.
type GhostOptions struct {
	Sites []GhostSite
	// Latency delays every answer (on top of faults).
	Latency time.Duration
	// InviteTTL is how long an invite is valid after it is created (its expires); 0 means 7 days, what
	// Ghost 5 does.
	InviteTTL time.Duration
}

// ghostRoles are a Ghost 5 site's roles; GET /roles/?permissions=assign lists all but Owner to the owner's
// staff token and to an integration key alike (measured), though an integration key may not invite
// Administrator.
var ghostRoles = []string{"Administrator", "Editor", "Author", "Contributor", "Owner", "Super Editor"}

// Ghost is a fake of a Ghost 5 site's Admin API invites, speaking the wire format Ghost 5.130.6 answered
// with; every behaviour is one the real server showed (docs/providers.md, "Ghost"). The delivery ledger
// records each invitation email with its accept token; a re-POST for an email whose invite was emailed
// replaces the invite (the old token stops working) and is recorded as a resend.
type Ghost struct {
	*store
	opts     GhostOptions
	mux      *http.ServeMux
	sites    []*ghostSite // longest path first
	mailDown atomic.Bool
}

type ghostSite struct {
	GhostSite
	id      string // the store's site ID: the path, "/" for the root
	keys    map[string]ghostKey
	roleIDs map[string]string // role name → id
	userIDs map[string]string // email → user id
}

// NewGhost returns the fake; serve it with httptest.NewServer or http.Server.
func NewGhost(opts GhostOptions) *Ghost {
	g := &Ghost{opts: opts, mux: http.NewServeMux()}
	sites := make([]Site, 0, len(opts.Sites))
	for i, gs := range opts.Sites {
		site := &ghostSite{GhostSite: gs, id: ghostSiteID(gs.Path), keys: map[string]ghostKey{}, roleIDs: map[string]string{}, userIDs: map[string]string{}}
		for j, name := range ghostRoles {
			site.roleIDs[name] = fmt.Sprintf("6b0e8e50%04x%012x", i, j+1)
		}
		for _, k := range gs.StaffKeys {
			if id, key, ok := parseGhostKey(k, true); ok {
				site.keys[id] = key
			}
		}
		for _, k := range gs.IntegrationKeys {
			if id, key, ok := parseGhostKey(k, false); ok {
				site.keys[id] = key
			}
		}
		g.sites = append(g.sites, site)
		sites = append(sites, Site{ID: site.id, Roles: ghostRoles, Members: append([]string{gs.Owner.Email}, gs.Editors...)})
	}
	slices.SortFunc(g.sites, func(a, b *ghostSite) int { return len(b.Path) - len(a.Path) })
	g.store = newStore("Ghost", "6b0e8e60%016x", sites, nil)
	g.ttl = cmp.Or(opts.InviteTTL, 7*24*time.Hour)
	for _, site := range g.sites {
		st := g.store.sites[site.id]
		st.members[strings.ToLower(site.Owner.Email)] = []string{"Owner"}
		for _, e := range site.Editors {
			st.members[strings.ToLower(e)] = []string{"Editor"}
		}
		site.userIDs[strings.ToLower(site.Owner.Email)] = "1"
	}
	g.mux.Handle("/", http.HandlerFunc(g.serveAPI))
	registerSandboxRoutes(g.mux, g.store, g)
	g.mux.HandleFunc("POST /_sandbox/mail", func(rw http.ResponseWriter, r *http.Request) {
		g.SetMailDown(r.FormValue("down") == "true")
		answer(rw, nil)
	})
	return g
}

func ghostSiteID(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// ServeHTTP serves every site's Admin API and the sandbox pages.
func (g *Ghost) ServeHTTP(rw http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(rw, r) }

// SetMailDown plays "the mail server is down": invites are stored, stay "pending", and POST answers
// 500 EmailError; nothing is delivered.
func (g *Ghost) SetMailDown(down bool) { g.mailDown.Store(down) }

// Accept is the person accepting their newest emailed invite, as POST /authentication/invitation/ with
// the token from the email would.
func (g *Ghost) Accept(site, email string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv := g.current(site, email)
	if inv == nil || inv.Undelivered {
		return fmt.Errorf("no emailed invite for %s on %s", email, site)
	}
	return g.acceptLocked(inv, email)
}

// Expire lets the person's invite lapse: Ghost keeps it, "sent", with expires in the past.
func (g *Ghost) Expire(site, email string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv := g.current(site, email)
	if inv == nil {
		return fmt.Errorf("no invite for %s on %s", email, site)
	}
	inv.State = StateExpired
	inv.Expires = g.now().Add(-time.Millisecond).UTC()
	return nil
}

// Revoke is a staff user deleting the person's invite in Ghost admin, as DELETE /invites/{id}/ does:
// the invite is gone from the listing and its token stops working; nobody is emailed.
func (g *Ghost) Revoke(site, email string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv := g.current(site, email)
	if inv == nil {
		return fmt.Errorf("no invite for %s on %s", email, site)
	}
	inv.State = StateRevoked
	return nil
}

// current is the site's one live invite for email (Ghost keeps at most one). Caller holds mu.
func (g *Ghost) current(siteID, email string) *Invite {
	for i := len(g.invites) - 1; i >= 0; i-- {
		inv := g.invites[i]
		if inv.Site == siteID && inv.Email == email && (inv.State == StatePending || inv.State == StateExpired) {
			return inv
		}
	}
	return nil
}

// siteFor finds the site whose Admin API path prefixes path; rest is what follows /ghost/api/admin/.
func (g *Ghost) siteFor(path string) (site *ghostSite, rest string) {
	for _, s := range g.sites {
		if r, ok := strings.CutPrefix(path, s.Path+"/ghost/api/admin/"); ok {
			return s, r
		}
	}
	return nil, ""
}

// ghostErrorBody is Ghost's error shape, with every key the real server sends.
func writeGhostError(rw http.ResponseWriter, status int, typ, code, message, context string) {
	entry := map[string]any{"message": message, "context": nil, "type": typ, "details": nil, "property": nil, "help": nil,
		"code": nil, "id": fmt.Sprintf("%08x-ed66-11f1-9f1c-7312d03ca45c", time.Now().UnixNano()&0xffffffff), "ghostErrorCode": nil}
	if context != "" {
		entry["context"] = context
	}
	if code != "" {
		entry["code"] = code
	}
	if typ == "EmailError" {
		entry["help"] = "Please see https://ghost.org/docs/config/#mail for instructions on configuring email."
	}
	writeJSON(rw, status, map[string]any{"errors": []any{entry}})
}

var ghostIDPath = regexp.MustCompile(`^invites/([0-9a-f]{24})/?$`)

// writeRefusal answers with one of Ghost's error answers.
func writeRefusal(rw http.ResponseWriter, e *ghostRefusal) {
	writeGhostError(rw, e.status, e.typ, e.code, e.text, e.context)
}

// ghostOp names a request for call counts and faults.
func ghostOp(resource, method string) string {
	switch {
	case resource == "invites" && method == http.MethodPost:
		return OpInvite
	case resource == "invites" && method == http.MethodDelete:
		return OpRevoke
	}
	return map[string]string{"invites": OpList, "users": OpUsers, "roles": OpVerify, "site": OpVerify}[resource]
}

// serveAPI routes one Admin API request: public endpoints, then authentication, the integration-key
// allowlist, faults, and the handler.
func (g *Ghost) serveAPI(rw http.ResponseWriter, r *http.Request) {
	site, rest := g.siteFor(r.URL.Path)
	if site == nil {
		http.NotFound(rw, r)
		return
	}
	resource, _, _ := strings.Cut(rest, "/")
	op := ghostOp(resource, r.Method)
	g.countCall(op)
	fault := g.faults.next(op)
	(&Fault{Latency: g.opts.Latency}).delay(r)
	fault.delay(r)
	siteURL := "http://" + r.Host + site.Path
	switch {
	case rest == "site/" && r.Method == http.MethodGet:
		writeJSON(rw, http.StatusOK, map[string]any{"site": map[string]any{"title": site.Title, "url": siteURL + "/", "version": "5.130"}})
		return
	case rest == "authentication/invitation/" && r.Method == http.MethodPost:
		g.acceptInvitation(rw, r)
		return
	}
	key, refusal := site.authenticate(r, g.now())
	switch {
	case refusal != nil:
		writeRefusal(rw, refusal)
	case !key.staff && !integrationAllows(r.Method, resource):
		writeGhostError(rw, http.StatusNotImplemented, "NotImplementedError", "", ghostNotImplText, "")
	case fault != nil && fault.Status != 0:
		if fault.RetryAfter != "" {
			rw.Header().Set("Retry-After", fault.RetryAfter)
		}
		rw.Header().Set("Content-Type", "text/html")
		rw.WriteHeader(fault.Status)
		_, _ = rw.Write([]byte("<html><body>upstream error</body></html>"))
	default:
		g.route(rw, r, site, key, rest, siteURL, fault)
	}
}

// route calls the handler of an authenticated request.
func (g *Ghost) route(rw http.ResponseWriter, r *http.Request, site *ghostSite, key *ghostKey, rest, siteURL string, fault *Fault) {
	switch m := ghostIDPath.FindStringSubmatch(rest); {
	case rest == "roles/" && r.Method == http.MethodGet:
		g.roles(rw, r, site)
	case rest == "users/" && r.Method == http.MethodGet:
		g.users(rw, r, site)
	case rest == "invites/" && r.Method == http.MethodPost:
		g.createInvite(rw, r, site, key, siteURL, fault)
	case rest == "invites/" && r.Method == http.MethodGet:
		g.listInvites(rw, r, site)
	case m != nil && r.Method == http.MethodGet:
		g.readInvite(rw, site, m[1])
	case m != nil && r.Method == http.MethodDelete:
		g.deleteInvite(rw, site, m[1])
	default:
		writeGhostError(rw, http.StatusNotFound, "NotFoundError", "", "Resource not found", "")
	}
}
