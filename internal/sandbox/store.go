// Package sandbox holds fake Wix and WordPress.com servers that speak the real wire formats, as strict as
// the real services: they check credentials, know their sites, roles and members, keep invites with
// states, and count every invitation email in a delivery ledger — the oracle tests use for "exactly one
// invite per person". Faults can be injected per test (Go API) or by flags (cmd/sandbox). The same servers
// back `make demo`, with a page that lists every invite received.
package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// InviteState is where a fake invite stands.
type InviteState string

// The states a fake invite moves through.
const (
	StatePending  InviteState = "pending"
	StateAccepted InviteState = "accepted"
	StateRevoked  InviteState = "revoked"
	StateExpired  InviteState = "expired"
	// StateReplaced is a Ghost invite deleted by a newer invite for the same email.
	StateReplaced InviteState = "replaced"
)

// Invite is one invite a fake received.
type Invite struct {
	ID      string      `json:"id"`
	Site    string      `json:"site"`
	Email   string      `json:"email"`
	Roles   []string    `json:"roles"`
	State   InviteState `json:"state"`
	Created time.Time   `json:"created"`
	// Emails counts the invitation emails this invite caused (1 + resends).
	Emails int `json:"emails"`
	// Token is the accept token of a Ghost invite (sent by email only).
	Token string `json:"token,omitempty"`
	// Expires is when the invite lapses (the fake's invite TTL after it was created or last resent); zero
	// for a fake whose invites never lapse. A pending invite past it is expired.
	Expires time.Time `json:"expires,omitzero"`
	// Undelivered marks a Ghost invite stored but never emailed (Ghost's status "pending").
	Undelivered bool `json:"undelivered,omitempty"`
}

// DeliveryKind tells a first invitation email from a deliberate resend.
type DeliveryKind string

// The kinds of delivery the ledger records.
const (
	DeliveryInvite DeliveryKind = "invite"
	DeliveryResend DeliveryKind = "resend"
)

// Delivery is one invitation email the fake "sent".
type Delivery struct {
	Site     string       `json:"site"`
	Email    string       `json:"email"`
	Kind     DeliveryKind `json:"kind"`
	InviteID string       `json:"inviteID"`
	At       time.Time    `json:"at"`
	// Token, Link and Subject are what a Ghost invitation email carries: the link's token is what the
	// person sends to accept.
	Token   string `json:"token,omitempty"`
	Link    string `json:"link,omitempty"`
	Subject string `json:"subject,omitempty"`
}

// Site is a website a fake knows: its roles and the people who are already members.
type Site struct {
	// ID is the site's identifier (Wix site GUID, WordPress.com blog ID).
	ID string `json:"id"`
	// Domain is the WordPress.com domain that also names the site; empty for Wix.
	Domain string `json:"domain,omitempty"`
	// Roles are the role names (WordPress.com) or role IDs (Wix) invites may carry.
	Roles []string `json:"roles"`
	// Members are emails that already belong to the site.
	Members []string `json:"members,omitempty"`
}

// Credential is a token or API key a fake accepts, and the sites it may act on.
type Credential struct {
	Secret string `json:"secret"`
	// AccountID is the Wix account the key belongs to (wix-account-id must match when sent).
	AccountID string `json:"accountID,omitempty"`
	// Sites the credential may act on, by ID; empty means every site.
	Sites []string `json:"sites,omitempty"`
}

// store is the state one fake keeps: sites, credentials, invites, the delivery ledger, call counts and
// faults. All methods are safe for concurrent use.
type store struct {
	provider    string
	mux         *http.ServeMux
	mu          sync.Mutex
	sites       map[string]*siteState
	credentials map[string]Credential
	invites     []*Invite
	byID        map[string]*Invite
	ledger      []Delivery
	calls       map[string]int
	callLog     []Call
	seq         int
	idFormat    string
	now         func() time.Time
	faults      *Faults
	// ttl is how long an invite stays valid after it is created or resent; zero: forever.
	ttl time.Duration
	// quota is the fake's own rate limit; nil: none.
	quota *quota
	// rateLimited counts the requests quota refused.
	rateLimited int
}

type siteState struct {
	Site
	members map[string][]string // email → roles
}

func newStore(provider, idFormat string, sites []Site, creds []Credential) *store {
	s := &store{
		provider:    provider,
		sites:       map[string]*siteState{},
		credentials: map[string]Credential{},
		byID:        map[string]*Invite{},
		calls:       map[string]int{},
		idFormat:    idFormat,
		now:         time.Now,
		faults:      NewFaults(1),
	}
	for _, site := range sites {
		s.addSite(site)
	}
	for _, c := range creds {
		s.credentials[c.Secret] = c
	}
	s.mux = http.NewServeMux()
	registerSandboxRoutes(s.mux, s, s)
	return s
}

// ServeHTTP serves the provider's API and the sandbox pages.
func (s *store) ServeHTTP(rw http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(rw, r) }

func (s *store) addSite(site Site) {
	st := &siteState{Site: site, members: map[string][]string{}}
	for _, m := range site.Members {
		st.members[strings.ToLower(m)] = []string{site.Roles[0]}
	}
	s.sites[site.ID] = st
}

// site finds a site by ID or domain.
func (s *store) site(idOrDomain string) *siteState {
	if st, ok := s.sites[idOrDomain]; ok {
		return st
	}
	for _, st := range s.sites {
		if st.Domain != "" && strings.EqualFold(st.Domain, idOrDomain) {
			return st
		}
	}
	return nil
}

func (s *store) credentialMaySee(c Credential, site *siteState) bool {
	return len(c.Sites) == 0 || slices.Contains(c.Sites, site.ID)
}

// Call is one request a fake received, for tests that check when calls were made and benchmarks that
// compute rates from them.
type Call struct {
	Op string    `json:"op"`
	At time.Time `json:"at"`
	// Client names the credential the request presented (a short hash of it, never the secret), so a
	// run with several clients can check each one's manners.
	Client string `json:"client,omitempty"`
	// Limited marks a request the fake's rate limit refused with 429; nothing was applied.
	Limited bool `json:"limited,omitempty"`
	// RetryAfter is the Retry-After that refusal carried, in whole seconds.
	RetryAfter int `json:"retryAfter,omitempty"`
	// AnsweredAt is when the refusal was answered (after the fake's latency): the client may call again
	// RetryAfter seconds after it.
	AnsweredAt time.Time `json:"answeredAt,omitzero"`
}

func (s *store) countCall(op string) {
	s.mu.Lock()
	s.lapse()
	s.calls[op]++
	if len(s.callLog) < maxCallLog {
		s.callLog = append(s.callLog, Call{Op: op, At: s.now()})
	}
	s.mu.Unlock()
}

// maxCallLog bounds the call log of a long-running sandbox.
const maxCallLog = 100000

// Faults is the fault schedule.
func (s *store) Faults() *Faults { return s.faults }

// CallLog returns the requests received so far, oldest first.
func (s *store) CallLog() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callLog)
}

// CallLogSince returns the requests received after the first n, oldest first: a poller that keeps its
// place copies only what is new.
func (s *store) CallLogSince(n int) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n >= len(s.callLog) {
		return nil
	}
	return slices.Clone(s.callLog[max(n, 0):])
}

// LedgerSince returns the invitation emails delivered after the first n, oldest first.
func (s *store) LedgerSince(n int) []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n >= len(s.ledger) {
		return nil
	}
	return slices.Clone(s.ledger[max(n, 0):])
}

// invite creates a pending invite and records its email in the ledger. Caller holds mu.
func (s *store) invite(site *siteState, email string, roles []string) *Invite {
	inv := s.addInvite(site, email, roles)
	s.ledger = append(s.ledger, Delivery{Site: site.ID, Email: email, Kind: DeliveryInvite, InviteID: inv.ID, At: inv.Created})
	return inv
}

// Preload records an invite as sent before the run began — pending, emailed once, in the ledger — and
// returns a copy of it. Benchmarks use it to start from thousands of pending invites without sending each
// through the API first; the ledger still catches a second invite to the same person.
func (s *store) Preload(siteID, email string, roles []string) (Invite, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	site := s.site(siteID)
	if site == nil {
		return Invite{}, fmt.Errorf("unknown site %q", siteID)
	}
	return *s.invite(site, email, roles), nil
}

// addInvite creates a pending invite without emailing it (Ghost mails in a later step). Caller holds mu.
func (s *store) addInvite(site *siteState, email string, roles []string) *Invite {
	s.seq++
	inv := &Invite{ID: fmt.Sprintf(s.idFormat, s.seq), Site: site.ID, Email: email, Roles: slices.Clone(roles),
		State: StatePending, Created: s.now().UTC(), Emails: 1}
	inv.Expires = s.expiry(inv.Created)
	s.invites = append(s.invites, inv)
	s.byID[inv.ID] = inv
	return inv
}

// SetInviteTTL changes how long invites sent or resent from now on stay valid (tests that need invites
// with different lifetimes).
func (s *store) SetInviteTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = d
}

// expiry is when an invite created or resent at t lapses; zero when invites never lapse.
func (s *store) expiry(t time.Time) time.Time {
	if s.ttl <= 0 {
		return time.Time{}
	}
	return t.Add(s.ttl).UTC()
}

// lapse moves every pending invite past its expiry to expired, as time does at the real services.
// Caller holds mu.
func (s *store) lapse() {
	now := s.now()
	for _, inv := range s.invites {
		if inv.State == StatePending && !inv.Expires.IsZero() && !now.Before(inv.Expires) {
			inv.State = StateExpired
		}
	}
}

// resend records one more email for inv, valid for the fake's TTL from now. Caller holds mu.
func (s *store) resend(inv *Invite) {
	inv.Emails++
	inv.State = StatePending
	inv.Expires = s.expiry(s.now())
	s.ledger = append(s.ledger, Delivery{Site: inv.Site, Email: inv.Email, Kind: DeliveryResend, InviteID: inv.ID, At: s.now().UTC()})
}

// Accept simulates the person clicking the invite link: the newest pending invite of email on site is
// accepted and the person becomes a member.
func (s *store) Accept(siteID, email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lapse()
	site := s.site(siteID)
	if site == nil {
		return fmt.Errorf("unknown site %q", siteID)
	}
	for i := len(s.invites) - 1; i >= 0; i-- {
		inv := s.invites[i]
		if inv.Site == site.ID && inv.Email == email && inv.State == StatePending {
			inv.State = StateAccepted
			site.members[email] = inv.Roles
			return nil
		}
	}
	return fmt.Errorf("no pending invite for %s on %s", email, siteID)
}

// Expire lets every pending invite of email on site lapse.
func (s *store) Expire(siteID, email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lapse()
	site := s.site(siteID)
	if site == nil {
		return fmt.Errorf("unknown site %q", siteID)
	}
	n := 0
	for _, inv := range s.invites {
		if inv.Site == site.ID && inv.Email == email && inv.State == StatePending {
			inv.State, inv.Expires = StateExpired, s.now().UTC()
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no pending invite for %s on %s", email, siteID)
	}
	return nil
}

// Revoke is the site owner withdrawing the person's invite in the provider's own dashboard: every
// pending or expired invite of email on site is revoked, and reads so through the provider's API (Wix
// "Deleted", gone from WordPress.com's and Ghost's listings). Nobody is emailed, so the delivery ledger
// does not change.
func (s *store) Revoke(siteID, email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	site := s.site(siteID)
	if site == nil {
		return fmt.Errorf("unknown site %q", siteID)
	}
	n := 0
	for _, inv := range s.invites {
		if inv.Site == site.ID && inv.Email == email && (inv.State == StatePending || inv.State == StateExpired) {
			inv.State = StateRevoked
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no pending or expired invite for %s on %s", email, siteID)
	}
	return nil
}

// Snapshot is a copy of a fake's state, for the JSON endpoint, the page and tests.
type Snapshot struct {
	Provider string         `json:"provider"`
	Sites    []Site         `json:"sites"`
	Invites  []Invite       `json:"invites"`
	Ledger   []Delivery     `json:"ledger"`
	Calls    map[string]int `json:"calls"`
	// RateLimited counts the requests the fake's own rate limit refused with 429.
	RateLimited int `json:"rateLimited"`
	// Duplicates lists "site email" keys that received more than one invitation email of any kind (a
	// second invite or a resend): nobody asked for those unless a test or a person requested a resend, so a
	// test that requests resends compares Emails with the number it asked for.
	Duplicates []string `json:"duplicates"`
}

// Snapshot copies the fake's state.
func (s *store) Snapshot() Snapshot {
	provider := s.provider
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lapse()
	snap := Snapshot{Provider: provider, Calls: map[string]int{}}
	for _, st := range s.sites {
		site := st.Site
		site.Members = make([]string, 0, len(st.members))
		for m := range st.members {
			site.Members = append(site.Members, m)
		}
		sort.Strings(site.Members)
		snap.Sites = append(snap.Sites, site)
	}
	sort.Slice(snap.Sites, func(i, j int) bool { return snap.Sites[i].ID < snap.Sites[j].ID })
	for _, inv := range s.invites {
		snap.Invites = append(snap.Invites, *inv)
	}
	snap.Ledger = slices.Clone(s.ledger)
	snap.RateLimited = s.rateLimited
	for k, v := range s.calls {
		snap.Calls[k] = v
	}
	counts := map[string]int{}
	for _, d := range s.ledger {
		counts[d.Site+" "+d.Email]++
	}
	for k, n := range counts {
		if n > 1 {
			snap.Duplicates = append(snap.Duplicates, k)
		}
	}
	sort.Strings(snap.Duplicates)
	return snap
}

// Invitations returns how many first invitation emails email received on site (resends not counted).
func (snap Snapshot) Invitations(site, email string) int {
	return snap.count(site, email, DeliveryInvite)
}

// Emails returns how many invitation emails email received on site, first invites and resends alike.
func (snap Snapshot) Emails(site, email string) int {
	return snap.count(site, email, DeliveryInvite, DeliveryResend)
}

// Resends returns how many resent invitation emails email received on site.
func (snap Snapshot) Resends(site, email string) int { return snap.count(site, email, DeliveryResend) }

func (snap Snapshot) count(site, email string, kinds ...DeliveryKind) int {
	n := 0
	for _, d := range snap.Ledger {
		if d.Site == site && d.Email == email && slices.Contains(kinds, d.Kind) {
			n++
		}
	}
	return n
}
