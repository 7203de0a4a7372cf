package ledger

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

func expiring(email string, state invv1.InvitationState, expires time.Duration) invv1.SentInvitation {
	s := sentEntry(email, "id-"+email, state)
	s.Roles = []string{"author"}
	s.ExpiresAt = at(expires)
	return s
}

func TestExpireMovesLapsedInvitesAndTellsTheNextExpiry(t *testing.T) {
	t.Parallel()
	noExpiry := sentEntry("d@x.io", "4", invv1.InvitationPending)
	accepted := expiring("e@x.io", invv1.InvitationAccepted, -time.Hour)
	st := &invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{
		expiring("a@x.io", invv1.InvitationPending, -time.Second),
		expiring("b@x.io", invv1.InvitationPending, 0),
		expiring("c@x.io", invv1.InvitationPending, time.Hour),
		noExpiry, accepted,
		expiring("f@x.io", invv1.InvitationPending, 2*time.Hour),
	}}
	next := Expire(st, t0)
	got := map[string]invv1.InvitationState{}
	for _, s := range st.Sent {
		got[s.Email] = s.State
	}
	want := map[string]invv1.InvitationState{"a@x.io": invv1.InvitationExpired, "b@x.io": invv1.InvitationExpired,
		"c@x.io": invv1.InvitationPending, "d@x.io": invv1.InvitationPending, "e@x.io": invv1.InvitationAccepted, "f@x.io": invv1.InvitationPending}
	for e, w := range want {
		if got[e] != w {
			t.Errorf("%s: %s, want %s", e, got[e], w)
		}
	}
	if !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("next expiry %v, want %v", next, t0.Add(time.Hour))
	}
	if next := Expire(&invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{noExpiry}}, t0); !next.IsZero() {
		t.Errorf("no expiry known, yet woken at %v", next)
	}
}

func TestRefreshLearnsExpiriesTheProviderShowsOrImplies(t *testing.T) {
	t.Parallel()
	st := &invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{
		sentEntry("a@x.io", "1", invv1.InvitationPending),            // WordPress.com shows it lapsed, no time
		expiring("b@x.io", invv1.InvitationPending, time.Hour),       // Ghost shows its expiry
		expiring("c@x.io", invv1.InvitationExpired, -24*time.Hour),   // resent at the provider: pending again
		expiring("d@x.io", invv1.InvitationExpired, -24*time.Hour),   // expired, not listed: absence says nothing
		sentEntry("e@x.io", "5", invv1.InvitationPending),            // pending, not listed: withdrawn there
		expiring("f@x.io", invv1.InvitationExpired, -2*time.Hour),    // listed lapsed again: keeps its time
		expiring("g@x.io", invv1.InvitationPending, -time.Second),    // pending with a past expiry, shown pending
		expiring("h@x.io", invv1.InvitationPending, 48*time.Hour),    // pending, future expiry, shown pending
		expiring("i@x.io", invv1.InvitationAccepted, -time.Hour),     // accepted: never moves
		expiring("j@x.io", invv1.InvitationPending, 3*time.Hour),     // shown accepted
		expiring("k@x.io", invv1.InvitationExpired, -3*time.Hour),    // not asked about
		expiring("l@x.io", invv1.InvitationRevoked, -3*time.Hour),    // revoked: never moves
		expiring("m@x.io", invv1.InvitationExpired, -3*time.Second),  // expired, shown accepted (a late listing)
		expiring("n@x.io", invv1.InvitationPending, 10*time.Second),  // pending, shown lapsed with its time
		expiring("o@x.io", invv1.InvitationExpired, -10*time.Second), // expired, shown pending without a time
	}}
	obs := ByEmail([]provider.Observation{
		{Email: "a@x.io", InviteID: "1", State: provider.Expired},
		{Email: "b@x.io", InviteID: "2", State: provider.Pending, ExpiresAt: t0.Add(7 * 24 * time.Hour)},
		{Email: "c@x.io", InviteID: "3b", State: provider.Pending, ExpiresAt: t0.Add(7 * 24 * time.Hour)},
		{Email: "f@x.io", InviteID: "6", State: provider.Expired},
		{Email: "g@x.io", InviteID: "7", State: provider.Pending},
		{Email: "h@x.io", InviteID: "8", State: provider.Pending},
		{Email: "j@x.io", State: provider.Accepted},
		{Email: "i@x.io", State: provider.Pending},
		{Email: "l@x.io", State: provider.Pending},
		{Email: "m@x.io", State: provider.Accepted},
		{Email: "n@x.io", InviteID: "14", State: provider.Expired, ExpiresAt: t0.Add(-time.Minute)},
		{Email: "o@x.io", InviteID: "15", State: provider.Pending},
	})
	asked := []string{"a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io", "f@x.io", "g@x.io", "h@x.io", "i@x.io", "j@x.io", "l@x.io",
		"m@x.io", "n@x.io", "o@x.io"}
	Refresh(st, obs, asked, true, t0)
	type want struct {
		state   invv1.InvitationState
		expires *metav1.Time
		key     string
	}
	wants := map[string]want{
		"a@x.io": {invv1.InvitationExpired, at(0), "1"},
		"b@x.io": {invv1.InvitationPending, at(7 * 24 * time.Hour), "2"},
		"c@x.io": {invv1.InvitationPending, at(7 * 24 * time.Hour), "3b"},
		"d@x.io": {invv1.InvitationExpired, at(-24 * time.Hour), "id-d@x.io"},
		"e@x.io": {invv1.InvitationRevoked, nil, "5"},
		"f@x.io": {invv1.InvitationExpired, at(-2 * time.Hour), "id-f@x.io"},
		"g@x.io": {invv1.InvitationPending, nil, "7"},
		"h@x.io": {invv1.InvitationPending, at(48 * time.Hour), "8"},
		"i@x.io": {invv1.InvitationAccepted, at(-time.Hour), "id-i@x.io"},
		"j@x.io": {invv1.InvitationAccepted, at(3 * time.Hour), "id-j@x.io"},
		"k@x.io": {invv1.InvitationExpired, at(-3 * time.Hour), "id-k@x.io"},
		"l@x.io": {invv1.InvitationRevoked, at(-3 * time.Hour), "id-l@x.io"},
		"m@x.io": {invv1.InvitationAccepted, at(-3 * time.Second), "id-m@x.io"},
		"n@x.io": {invv1.InvitationExpired, at(-time.Minute), "id-n@x.io"},
		"o@x.io": {invv1.InvitationPending, nil, "15"},
	}
	for _, s := range st.Sent {
		w := wants[s.Email]
		if s.State != w.state || !s.ExpiresAt.Equal(w.expires) || s.InviteID != w.key {
			t.Errorf("%s: %s expires %v key %q; want %s expires %v key %q", s.Email, s.State, s.ExpiresAt, s.InviteID, w.state, w.expires, w.key)
		}
	}
}

func TestResendPolicyPlansEachLapseOnceUpToTheLimit(t *testing.T) {
	t.Parallel()
	policy := &invv1.ResendPolicy{AfterExpiry: "1h", MaxResends: 2}
	resent := func(e invv1.SentInvitation, n int32) invv1.SentInvitation { e.Resends = n; return e }
	adopted := expiring("adopted@x.io", invv1.InvitationExpired, -2*time.Hour)
	adopted.Adopted = true
	keyless := expiring("keyless@x.io", invv1.InvitationExpired, -2*time.Hour)
	keyless.InviteID = ""
	inDoubt := expiring("doubt@x.io", invv1.InvitationExpired, 0)
	inDoubt.ExpiresAt, inDoubt.Resends = nil, 1
	status := invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{
		expiring("due@x.io", invv1.InvitationExpired, -time.Hour),       // expired an hour ago: due now
		expiring("soon@x.io", invv1.InvitationExpired, -30*time.Minute), // due in 30 minutes
		resent(expiring("last@x.io", invv1.InvitationExpired, -5*time.Hour), 1),
		resent(expiring("spent@x.io", invv1.InvitationExpired, -5*time.Hour), 2), // the limit reached
		expiring("pending@x.io", invv1.InvitationPending, time.Hour),
		adopted, keyless, inDoubt,
		expiring("held@x.io", invv1.InvitationExpired, -5*time.Hour),
		expiring("removed@x.io", invv1.InvitationExpired, -5*time.Hour),
	}, InFlight: &invv1.InFlightBatch{Emails: []string{"flying@x.io"}}}
	status.Sent = append(status.Sent, expiring("flying@x.io", invv1.InvitationExpired, -5*time.Hour))
	emails := []string{"due@x.io", "soon@x.io", "last@x.io", "spent@x.io", "pending@x.io", "adopted@x.io", "keyless@x.io", "doubt@x.io",
		"held@x.io", "flying@x.io"}
	spec := &invv1.SiteInvitationSpec{Emails: emails, Roles: []string{"author"}, ResendPolicy: policy}
	in := PlanInput{Spec: spec, Generation: 1, Status: &status, Now: t0, NotAllowed: map[string]string{"held@x.io": "domain"}}

	p := Compute(in)
	if got := resendEmails(p); !slices.Equal(got, []string{"due@x.io", "last@x.io"}) {
		t.Errorf("resend %v, want due and last", got)
	}
	if !p.NextResend.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("next resend %v, want in 30 minutes", p.NextResend)
	}
	if len(p.Send) != 0 {
		t.Errorf("an expired invite is resent, never sent as a second invite: send %v", p.Send)
	}

	spec.ManageAdoptedInvites = true
	if got := resendEmails(Compute(in)); !slices.Contains(got, "adopted@x.io") {
		t.Errorf("manageAdoptedInvites: the adopted invite is not resent: %v", got)
	}
	spec.ManageAdoptedInvites = false

	in.Blocked = true
	if p := Compute(in); len(p.Resend) != 0 {
		t.Errorf("blocked by the provider's policy, yet resending %v", resendEmails(p))
	}
	in.Blocked = false

	spec.ResendPolicy = nil
	if p := Compute(in); len(p.Resend) != 0 || !p.NextResend.IsZero() {
		t.Errorf("no resend policy, yet resending %v (next %v)", resendEmails(p), p.NextResend)
	}

	in.ResendRequested = true // the annotation: every live invite of this object, policy or not, limit or not
	want := []string{"due@x.io", "soon@x.io", "last@x.io", "spent@x.io", "pending@x.io", "doubt@x.io"}
	if got := resendEmails(Compute(in)); !slices.Equal(got, want) {
		t.Errorf("resend token: %v, want %v", got, want)
	}
	for _, r := range Compute(in).Resend {
		if r.Reason != invv1.PlanResendRequested {
			t.Errorf("%s: reason %s", r.Entry.Email, r.Reason)
		}
	}
}

func resendEmails(p Plan) []string {
	out := make([]string, 0, len(p.Resend))
	for _, r := range p.Resend {
		out = append(out, r.Entry.Email)
	}
	return out
}

func TestResendIntentBoundsEveryEmail(t *testing.T) {
	t.Parallel()
	exp := expiring("a@x.io", invv1.InvitationExpired, -time.Hour)
	pend := expiring("b@x.io", invv1.InvitationPending, time.Hour)
	fresh := func() *invv1.SiteInvitationStatus {
		return &invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{exp, pend}}
	}
	policy := &invv1.ResendPolicy{MaxResends: 3}
	spec := &invv1.SiteInvitationSpec{Emails: []string{"a@x.io", "b@x.io"}, Roles: []string{"author"}, ResendPolicy: policy}

	st := fresh()
	StartResends(st, []invv1.SentInvitation{exp, pend})
	if a := st.Sent[0]; a.Resends != 1 || a.ExpiresAt != nil || a.State != invv1.InvitationExpired {
		t.Fatalf("expired target after the intent: %+v", a)
	}
	if b := st.Sent[1]; b.Resends != 1 || !b.ExpiresAt.Equal(pend.ExpiresAt) {
		t.Fatalf("pending target after the intent keeps its expiry: %+v", b)
	}
	// A crash here: the next pass must not resend the same lapse.
	if p := Compute(PlanInput{Spec: spec, Status: st, Now: t0.Add(time.Hour)}); len(p.Resend) != 0 {
		t.Fatalf("after a crash between the intent and its outcome, resending again: %v", resendEmails(p))
	}

	cases := []struct {
		result      ResendResult
		answer      provider.Resent
		wantState   invv1.InvitationState
		wantResends int32
		wantExpires *metav1.Time
		wantKey     string
	}{
		{Resent, provider.Resent{InviteID: "new", ExpiresAt: t0.Add(30 * 24 * time.Hour)}, invv1.InvitationPending, 1, at(30 * 24 * time.Hour), "new"},
		{Resent, provider.Resent{}, invv1.InvitationPending, 1, nil, exp.InviteID},
		{NotResent, provider.Resent{}, invv1.InvitationExpired, 0, exp.ExpiresAt, exp.InviteID},
		{Refused, provider.Resent{}, invv1.InvitationExpired, 1, exp.ExpiresAt, exp.InviteID},
		{Unknown, provider.Resent{}, invv1.InvitationExpired, 1, nil, exp.InviteID},
	}
	for _, tc := range cases {
		st := fresh()
		StartResends(st, []invv1.SentInvitation{exp})
		FinishResend(st, exp, tc.result, tc.answer)
		a := st.Sent[0]
		if a.State != tc.wantState || a.Resends != tc.wantResends || !a.ExpiresAt.Equal(tc.wantExpires) || a.InviteID != tc.wantKey {
			t.Errorf("result %d: %s resends %d expires %v key %q; want %s %d %v %q", tc.result, a.State, a.Resends, a.ExpiresAt, a.InviteID,
				tc.wantState, tc.wantResends, tc.wantExpires, tc.wantKey)
		}
	}

	// However the calls end, the counter caps the resends: after maxResends the policy stops.
	st = fresh()
	for range 10 {
		now := t0.Add(time.Hour)
		p := Compute(PlanInput{Spec: spec, Status: st, Now: now})
		if len(p.Resend) == 0 {
			break
		}
		targets := make([]invv1.SentInvitation, 0, len(p.Resend))
		for _, r := range p.Resend {
			targets = append(targets, r.Entry)
		}
		StartResends(st, targets)
		for _, s := range targets {
			FinishResend(st, s, Refused, provider.Resent{})
		}
	}
	if a := st.Sent[0]; a.Resends != 3 {
		t.Errorf("after refused resends the counter is %d, want the limit 3", a.Resends)
	}
}

func TestReissueFollowsTheCapabilities(t *testing.T) {
	t.Parallel()
	old := expiring("a@x.io", invv1.InvitationPending, time.Hour) // sent as author
	keyless := expiring("b@x.io", invv1.InvitationPending, time.Hour)
	keyless.InviteID = ""
	same := expiring("c@x.io", invv1.InvitationPending, time.Hour)
	same.Roles = []string{"editor"}
	accepted := expiring("d@x.io", invv1.InvitationAccepted, time.Hour)
	adopted := expiring("e@x.io", invv1.InvitationPending, time.Hour)
	adopted.Adopted = true
	st := &invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{old, keyless, same, accepted, adopted}}
	spec := &invv1.SiteInvitationSpec{Emails: []string{"a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io"}, Roles: []string{"editor"},
		RoleChangePolicy: invv1.RoleChangeReissue}
	cases := []struct {
		name string
		caps provider.Capabilities
		want []string
	}{
		{"revoke then send (Wix, WordPress.com, a Ghost staff token)", provider.Capabilities{Revokes: true, ListsPending: true}, []string{"a@x.io"}},
		{"the send replaces (a Ghost integration key)", provider.Capabilities{SendReplaces: true}, []string{"a@x.io", "b@x.io"}},
		{"neither: nothing can be re-issued", provider.Capabilities{}, nil},
	}
	for _, tc := range cases {
		p := Compute(PlanInput{Spec: spec, Status: st, Now: t0, Caps: tc.caps})
		if got := emailsOf(p.Reissue); !slices.Equal(got, tc.want) {
			t.Errorf("%s: reissue %v, want %v", tc.name, got, tc.want)
		}
	}
	keep := *spec
	keep.RoleChangePolicy = invv1.RoleChangeKeep
	if p := Compute(PlanInput{Spec: &keep, Status: st, Now: t0, Caps: provider.Capabilities{Revokes: true}}); len(p.Reissue) != 0 {
		t.Errorf("roleChangePolicy Keep re-issues %v", emailsOf(p.Reissue))
	}
	MarkOutdated(st, &keep)
	var marked []string
	for _, s := range st.Sent {
		if s.RolesOutdated {
			marked = append(marked, s.Email)
		}
	}
	if want := []string{"a@x.io", "b@x.io", "e@x.io"}; !slices.Equal(marked, want) {
		t.Errorf("marked outdated %v, want %v (pending, roles differ)", marked, want)
	}
	if sum := Summary(st, &keep); sum.RolesOutdated != 3 {
		t.Errorf("summary.rolesOutdated %d, want 3", sum.RolesOutdated)
	}
	if RolesOutdated(invv1.SentInvitation{Roles: []string{"2", "1"}}, &invv1.SiteInvitationSpec{Roles: []string{"1", "2"}}) {
		t.Error("the same roles in another order count as outdated")
	}
}

func emailsOf(sent []invv1.SentInvitation) []string {
	out := make([]string, 0, len(sent))
	for _, s := range sent {
		out = append(out, s.Email)
	}
	return out
}

func TestPreviewIsBoundedAndSaysWhatItCannotForesee(t *testing.T) {
	t.Parallel()
	send := make([]string, 0, 12)
	why := map[string]string{}
	for i := range 12 {
		e := strings.Repeat("x", i+1) + "@x.io"
		send = append(send, e)
		why[e] = invv1.PlanNotInvited
	}
	p := Plan{Send: send, Why: why, Revoke: []invv1.SentInvitation{{Email: "gone@x.io"}}, NeedKeys: []string{"nokey@x.io"},
		Resend: []Resend{{Entry: invv1.SentInvitation{Email: "old@x.io"}, Reason: invv1.PlanExpired}}}
	got := Preview(p, 2, true, "")
	if got.Send.Count != 12 || len(got.Send.Emails) != PlanShown || got.Send.Emails[0] != (invv1.PlannedEmail{Email: "x@x.io", Reason: invv1.PlanNotInvited}) {
		t.Errorf("send: %+v", got.Send)
	}
	if got.Revoke.Count != 2 || got.Revoke.Emails[1] != (invv1.PlannedEmail{Email: "nokey@x.io", Reason: invv1.PlanRemoved}) {
		t.Errorf("revoke: %+v", got.Revoke)
	}
	if got.Resend.Count != 1 || got.Reissue != nil {
		t.Errorf("resend %+v, reissue %+v", got.Resend, got.Reissue)
	}
	for _, want := range []string{"2 emails in flight are settled first", "adopted, not sent"} {
		if !strings.Contains(got.Note, want) {
			t.Errorf("note %q lacks %q", got.Note, want)
		}
	}
	if len(got.Note) > 256 {
		t.Errorf("note of %d bytes", len(got.Note))
	}
	if empty := Preview(Plan{}, 0, false, ""); empty.Note != "nothing to do" || empty.Send != nil {
		t.Errorf("an empty plan: %+v", empty)
	}
}
