package ghostcontract

import (
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/test/ghostenv"
)

// TestContract runs every scenario against the fake and, with GHOST_INSTALL, against a real Ghost.
func TestContract(t *testing.T) {
	t.Run("fake", func(t *testing.T) {
		t.Parallel()
		runScenarios(t, newFakeTarget(t))
	})
	t.Run("real", func(t *testing.T) {
		if os.Getenv(ghostenv.InstallEnv) == "" {
			t.Skipf("%s is unset: make test-ghost runs the contract against a real Ghost", ghostenv.InstallEnv)
		}
		start := time.Now()
		runScenarios(t, newRealTarget(t))
		t.Logf("contract suite against the real Ghost: %s (start included)", time.Since(start).Round(100*time.Millisecond))
	})
}

// scenarios share one site, in order; each uses its own emails.
var scenarios = []struct {
	name string
	run  func(t *testing.T, c clients)
}{
	{"create and list", createAndList},
	{"integration key restrictions", integrationKey},
	{"re-invite replaces the invite", reinviteReplaces},
	{"revoke", revoke},
	{"accept makes a user", acceptMakesUser},
	{"mail down keeps the invite unmailed", mailDown},
	{"interrupted before the mail is accepted", interruptedBeforeMail},
	{"interrupted after the mail went out", interruptedAfterMail},
	{"rejections", rejections},
	{"JWT rejections", jwtRejections},
	{"verify tells the key kinds apart", verify},
}

func runScenarios(t *testing.T, tg Target) {
	c := newClients(t, tg)
	for _, sc := range scenarios {
		if !t.Run(sc.name, func(t *testing.T) { sc.run(t, c) }) && t.Context().Err() != nil {
			return
		}
	}
}

// createAndList: a staff token creates an invite (201, id, expiry a week out), the invited person gets one
// email with the owner's name in its subject, and the listing shows the invite pending with its role.
func createAndList(t *testing.T, c clients) {
	before := time.Now()
	o := sent(t, c.staff, c.site, "ada@example.com", "Author")
	if d := o.ExpiresAt.Sub(before); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour+time.Minute {
		t.Errorf("expires %s, %s after the send; Ghost gives 7 days", o.ExpiresAt, d)
	}
	m := lastMail(t, c.target, "ada@example.com", 1)
	if want := ownerName + " has invited you to join " + siteTitle; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	got := observe(t, c.staff, c.site)["ada@example.com"]
	if got.State != provider.Pending || got.InviteID != o.InviteID || len(got.Roles) != 1 || got.Roles[0] != "Author" ||
		!got.ExpiresAt.Equal(o.ExpiresAt) {
		t.Errorf("listed %+v, want pending %s as Author expiring %s", got, o.InviteID, o.ExpiresAt)
	}
	if obs := observe(t, c.staff, c.site)[ownerEmail]; obs.State != provider.Accepted || obs.Roles[0] != "Owner" {
		t.Errorf("the owner is a user: %+v", obs)
	}
	list, err := c.raw.ListInvites(ctx(t), c.site, "email:'ada@example.com'")
	if err != nil || len(list) != 1 || list[0].Status != "sent" {
		t.Fatalf("filtered list: %+v %v", list, err)
	}
	// Paging as Ghost does it: meta.pagination with next; limit 15 when none is asked for.
	a, body := call(t, c.site, http.MethodGet, "/invites/?limit=1&page=1&fields=id", signed(t, c.target.StaffKey(), time.Now(), "/admin/"), nil)
	if a.Status != 200 || !contains(body, `"limit":1`) || !contains(body, `"page":1`) || !contains(body, `"prev":null`) {
		t.Errorf("paged list: %d %s", a.Status, body)
	}
	if _, body = call(t, c.site, http.MethodGet, "/invites/?filter=email:'ada@example.com'", signed(t, c.target.StaffKey(), time.Now(), "/admin/"), nil); !contains(body, `"limit":15`) {
		t.Errorf("default page size: %s", body)
	}
}

// integrationKey: an integration key creates invites (impersonal subject) but cannot list, read or
// delete them (501), may not invite Administrator (403), and still sees users.
func integrationKey(t *testing.T, c clients) {
	sent(t, c.integ, c.site, "grace@example.com", "Editor")
	if m := lastMail(t, c.target, "grace@example.com", 1); m.Subject != "You have been invited to join "+siteTitle {
		t.Errorf("subject %q", m.Subject)
	}
	sent(t, c.integ, c.site, "sue@example.com", "Super Editor")
	caps := c.integ.Capabilities()
	if caps.ListsPending || caps.Revokes || caps.BatchSize != 1 {
		t.Errorf("capabilities %+v", caps)
	}
	obs := observe(t, c.integ, c.site)
	if _, ok := obs["grace@example.com"]; ok {
		t.Errorf("an integration key cannot see pending invites, yet Observe shows %+v", obs["grace@example.com"])
	}
	if obs[ownerEmail].State != provider.Accepted {
		t.Errorf("an integration key reads users: %+v", obs)
	}
	for _, path := range []string{"/invites/", "/invites/?limit=1&fields=id"} {
		a, _ := call(t, c.site, http.MethodGet, path, signed(t, c.target.IntegrationKey(), time.Now(), "/admin/"), nil)
		if a.Status != 501 || a.Type != "NotImplementedError" {
			t.Errorf("GET %s with an integration key: %+v", path, a)
		}
	}
	id := observe(t, c.staff, c.site)["grace@example.com"].InviteID
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		if a, _ := call(t, c.site, method, "/invites/"+id+"/", signed(t, c.target.IntegrationKey(), time.Now(), "/admin/"), nil); a.Status != 501 {
			t.Errorf("%s an invite with an integration key: %+v", method, a)
		}
	}
	if err := c.integ.Revoke(ctx(t), c.site, id); provider.Classify(err) != provider.KindPermanent {
		t.Errorf("revoke with an integration key: %v", err)
	}
	_, err := c.integ.Send(ctx(t), batch(c.site, "boss@example.com", "Administrator"))
	wantReason(t, err, provider.ReasonRoleNotAllowed)
	if n := len(c.target.Mails(t, "boss@example.com")); n != 0 {
		t.Errorf("a refused invite sent %d emails", n)
	}
	sent(t, c.staff, c.site, "boss@example.com", "Administrator")
}

// reinviteReplaces: a second POST for the same email is a 201 that replaces the invite: new id and
// token, one more email, the old link dead. Resend is that POST, with either key kind.
func reinviteReplaces(t *testing.T, c clients) {
	first := sent(t, c.staff, c.site, "carol@example.com", "Author")
	old := lastMail(t, c.target, "carol@example.com", 1)
	second := sent(t, c.staff, c.site, "carol@example.com", "Author")
	if second.InviteID == first.InviteID {
		t.Fatal("a re-invite must replace the invite")
	}
	latest := lastMail(t, c.target, "carol@example.com", 2)
	if latest.Token == old.Token {
		t.Fatal("the replacement must carry a new token")
	}
	if a := accept(t, c.site, old.Token, "carol@example.com"); a.Status != 404 || a.Message != "Invite not found." {
		t.Errorf("the replaced invite's link: %+v", a)
	}
	obs := observe(t, c.staff, c.site)["carol@example.com"]
	if obs.InviteID != second.InviteID {
		t.Errorf("listed %s, want only the replacement %s", obs.InviteID, second.InviteID)
	}
	r1, err := c.staff.Resend(ctx(t), provider.ResendRequest{Site: c.site, InviteID: second.InviteID})
	if err != nil || r1.InviteID == second.InviteID || r1.ExpiresAt.IsZero() {
		t.Fatalf("staff resend: %+v %v", r1, err)
	}
	lastMail(t, c.target, "carol@example.com", 3)
	r2, err := c.integ.Resend(ctx(t), provider.ResendRequest{Site: c.site, InviteID: r1.InviteID, Email: "carol@example.com", Roles: []string{"Author"}})
	if err != nil || r2.InviteID == r1.InviteID {
		t.Fatalf("integration resend: %+v %v", r2, err)
	}
	lastMail(t, c.target, "carol@example.com", 4)
	if _, err := c.staff.Resend(ctx(t), provider.ResendRequest{Site: c.site, InviteID: first.InviteID}); provider.Classify(err) != provider.KindNotFound {
		t.Errorf("resending a replaced invite: %v", err)
	}
}

// revoke: DELETE is 204, again 404; the invite leaves the list and its link is dead.
func revoke(t *testing.T, c clients) {
	o := sent(t, c.staff, c.site, "dave@example.com", "Contributor")
	m := lastMail(t, c.target, "dave@example.com", 1)
	if err := c.staff.Revoke(ctx(t), c.site, o.InviteID); err != nil {
		t.Fatal(err)
	}
	if err := c.staff.Revoke(ctx(t), c.site, o.InviteID); provider.Classify(err) != provider.KindNotFound {
		t.Fatalf("second revoke: %v", err)
	}
	if _, ok := observe(t, c.staff, c.site)["dave@example.com"]; ok {
		t.Error("a revoked invite is not listed")
	}
	if a := accept(t, c.site, m.Token, "dave@example.com"); a.Status != 404 {
		t.Errorf("a revoked invite's link: %+v", a)
	}
	if _, err := c.raw.GetInvite(ctx(t), c.site, o.InviteID); provider.Classify(err) != provider.KindNotFound {
		t.Errorf("reading a revoked invite: %v", err)
	}
}

// acceptMakesUser: the token from the email accepts; the invite disappears and the person is a user with
// the invite's role, seen by both key kinds; inviting them again is AlreadyMember.
func acceptMakesUser(t *testing.T, c clients) {
	o := sent(t, c.staff, c.site, "erin@example.com", "Editor")
	m := lastMail(t, c.target, "erin@example.com", 1)
	if a := accept(t, c.site, m.Token, "erin@example.com"); a.Status != 200 {
		t.Fatalf("accept: %+v", a)
	}
	for _, obs := range []map[string]provider.Observation{observe(t, c.staff, c.site), observe(t, c.integ, c.site)} {
		if got := obs["erin@example.com"]; got.State != provider.Accepted || len(got.Roles) != 1 || got.Roles[0] != "Editor" || got.InviteID != "" {
			t.Errorf("after accepting: %+v", got)
		}
	}
	if a := accept(t, c.site, m.Token, "erin@example.com"); a.Status != 404 {
		t.Errorf("a used link: %+v", a)
	}
	out, err := c.staff.Send(ctx(t), batch(c.site, "erin@example.com", "Author"))
	if err != nil || len(out) != 1 {
		t.Fatalf("re-invite a user: %+v %v", out, err)
	}
	wantReason(t, out[0].Err, provider.ReasonAlreadyMember)
	if err := c.staff.Revoke(ctx(t), c.site, o.InviteID); provider.Classify(err) != provider.KindNotFound {
		t.Errorf("revoking an accepted invite: %v", err)
	}
	if _, err := c.staff.Resend(ctx(t), provider.ResendRequest{Site: c.site, InviteID: o.InviteID}); provider.Classify(err) != provider.KindNotFound {
		t.Errorf("resending an accepted invite: %v", err)
	}
}

// mailDown: with the mail server down a POST is 500 EmailError, the invite is stored and listed
// "pending" (Undelivered), nobody is emailed and its token does not accept; once mail is back, one
// more POST replaces it and sends exactly one email, which accepts.
func mailDown(t *testing.T, c clients) {
	c.target.SetMailDown(t, true)
	mailUp := false
	t.Cleanup(func() {
		if !mailUp {
			c.target.SetMailDown(t, false)
		}
	})
	for _, p := range []struct {
		email string
		send  func() ([]provider.Outcome, error)
	}{
		{"frank@example.com", func() ([]provider.Outcome, error) {
			return c.staff.Send(ctx(t), batch(c.site, "frank@example.com", "Author"))
		}},
		{"gina@example.com", func() ([]provider.Outcome, error) {
			return c.integ.Send(ctx(t), batch(c.site, "gina@example.com", "Author"))
		}},
	} {
		out, err := p.send()
		var u *provider.UndeliveredError
		if err != nil || len(out) != 1 || !errors.As(out[0].Err, &u) || provider.Classify(out[0].Err) != provider.KindTransient {
			t.Fatalf("%s with the mail server down: %+v %v", p.email, out, err)
		}
	}
	obs := observe(t, c.staff, c.site)
	for _, e := range []string{"frank@example.com", "gina@example.com"} {
		if obs[e].State != provider.Undelivered || obs[e].InviteID == "" {
			t.Errorf("%s: %+v, want a stored, undelivered invite", e, obs[e])
		}
		lastMail(t, c.target, e, 0)
	}
	c.target.SetMailDown(t, false)
	mailUp = true
	o := sent(t, c.staff, c.site, "frank@example.com", "Author")
	if o.InviteID == obs["frank@example.com"].InviteID {
		t.Error("the re-POST replaces the unmailed invite")
	}
	m := lastMail(t, c.target, "frank@example.com", 1)
	if got := observe(t, c.staff, c.site)["frank@example.com"]; got.State != provider.Pending {
		t.Errorf("after the re-POST: %+v", got)
	}
	if a := accept(t, c.site, m.Token, "frank@example.com"); a.Status != 200 {
		t.Errorf("accept: %+v", a)
	}
}

// interruptedBeforeMail: Ghost cut off after storing the invite and before its mail server accepted
// the email leaves an invite listed "pending" (Undelivered) whose token does not accept; the send's
// outcome is unknown; a new send replaces it and delivers one working link.
func interruptedBeforeMail(t *testing.T, c clients) {
	var err error
	held := c.target.InterruptBeforeMail(t, func() {
		_, err = c.staff.Send(ctx(t), batch(c.site, "hal@example.com", "Author"))
	})
	if provider.Classify(err) != provider.KindOutcomeUnknown {
		t.Fatalf("a send cut off mid-request: %v", err)
	}
	lastMail(t, c.target, "hal@example.com", 0)
	if got := observe(t, c.staff, c.site)["hal@example.com"]; got.State != provider.Undelivered {
		t.Fatalf("after the interruption: %+v, want a stored, undelivered invite", got)
	}
	if len(held) != 1 || held[0].Token == "" {
		t.Fatalf("the unsent email: %+v", held)
	}
	if a := accept(t, c.site, held[0].Token, "hal@example.com"); a.Status != 404 || a.Message != "Invite not found." {
		t.Errorf("the token of an unmailed invite: %+v", a)
	}
	sent(t, c.staff, c.site, "hal@example.com", "Author")
	m := lastMail(t, c.target, "hal@example.com", 1)
	if a := accept(t, c.site, m.Token, "hal@example.com"); a.Status != 200 {
		t.Errorf("accept after the re-send: %+v", a)
	}
}

// interruptedAfterMail: Ghost cut off after the email went out and before it marked the invite sent
// leaves the same "pending" invite, and the link the person received does not accept: "pending" means
// "no working link", however far the mail step got. A new send replaces it with one that works.
func interruptedAfterMail(t *testing.T, c clients) {
	var err error
	c.target.InterruptAfterMail(t, func() {
		_, err = c.staff.Send(ctx(t), batch(c.site, "iris@example.com", "Author"))
	})
	if provider.Classify(err) != provider.KindOutcomeUnknown {
		t.Fatalf("a send cut off mid-request: %v", err)
	}
	m := lastMail(t, c.target, "iris@example.com", 1)
	if got := observe(t, c.staff, c.site)["iris@example.com"]; got.State != provider.Undelivered {
		t.Fatalf("after the interruption: %+v, want the invite still pending", got)
	}
	if a := accept(t, c.site, m.Token, "iris@example.com"); a.Status != 404 || a.Message != "Invite not found." {
		t.Errorf("the delivered link of a pending invite: %+v", a)
	}
	sent(t, c.staff, c.site, "iris@example.com", "Author")
	m = lastMail(t, c.target, "iris@example.com", 2)
	if a := accept(t, c.site, m.Token, "iris@example.com"); a.Status != 200 {
		t.Errorf("accept after the re-send: %+v", a)
	}
}
