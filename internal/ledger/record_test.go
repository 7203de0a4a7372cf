package ledger

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

func TestSettle(t *testing.T) {
	t.Parallel()
	inflight := func() *invv1.SiteInvitationStatus {
		return &invv1.SiteInvitationStatus{InFlight: &invv1.InFlightBatch{ID: "x", Emails: []string{"a@x.io", "b@x.io", "c@x.io"},
			Roles: []string{"r"}, StartedAt: metav1.NewTime(t0)}}
	}
	obs := ByEmail([]provider.Observation{
		{Email: "a@x.io", InviteID: "k1", State: provider.Pending},
		{Email: "b@x.io", State: provider.Accepted},
		{Email: "c@x.io", InviteID: "k3", State: provider.Expired}, // an old, lapsed invite is not this send
	})

	st := inflight()
	if unknown := Settle(st, obs, true, t0.Add(time.Hour), 1); len(unknown) != 0 {
		t.Fatalf("WordPress.com never leaves an unknown: %v", unknown)
	}
	if st.InFlight != nil || len(st.Sent) != 2 || len(st.Failed) != 0 {
		t.Fatalf("WordPress.com: a and b found, c goes back to the plan: %+v", st)
	}
	if st.Sent[0].InviteID != "k1" || st.Sent[1].State != invv1.InvitationAccepted || !st.Sent[0].SentAt.Time.Equal(t0) {
		t.Fatalf("recorded: %+v", st.Sent)
	}

	st = inflight()
	unknown := Settle(st, obs, false, t0.Add(time.Hour), 1)
	if !slices.Equal(unknown, []string{"c@x.io"}) || len(st.Failed) != 1 || st.Failed[0].Reason != invv1.ReasonOutcomeUnknown || st.Failed[0].Retryable {
		t.Fatalf("Wix: c's outcome stays unknown and is not retried by itself: %+v", st)
	}
}

func TestAdoptAndRefresh(t *testing.T) {
	t.Parallel()
	st := &invv1.SiteInvitationStatus{}
	obs := ByEmail([]provider.Observation{{Email: "a@x.io", InviteID: "k1", State: provider.Pending, Roles: []string{"editor"}}})
	rest := Adopt(st, []string{"a@x.io", "b@x.io"}, obs, []string{"author"}, t0)
	if !slices.Equal(rest, []string{"b@x.io"}) || st.Sent[0].InviteID != "k1" || st.Sent[0].Roles[0] != "editor" {
		t.Fatalf("adopt: rest %v, status %+v", rest, st)
	}

	st.Sent = append(st.Sent, sentEntry("c@x.io", "", invv1.InvitationPending), sentEntry("d@x.io", "k4", invv1.InvitationPending))
	obs = ByEmail([]provider.Observation{{Email: "a@x.io", InviteID: "k1", State: provider.Accepted},
		{Email: "c@x.io", InviteID: "k3", State: provider.Pending}})
	wix := st.DeepCopy()
	Refresh(st, obs, nil, true, t0)
	if st.Sent[0].State != invv1.InvitationAccepted || st.Sent[1].InviteID != "k3" || st.Sent[2].State != invv1.InvitationRevoked {
		t.Fatalf("WordPress.com refresh: %+v", st.Sent)
	}
	Refresh(wix, obs, nil, false, t0)
	if wix.Sent[2].State != invv1.InvitationPending {
		t.Fatalf("Wix shows no pending invites: absence means nothing: %+v", wix.Sent)
	}
}

func TestRecordFailureCountsAttempts(t *testing.T) {
	t.Parallel()
	st := &invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sentEntry("a@x.io", "", invv1.InvitationPending)}}
	f := Failure{Reason: "ProviderUnavailable", Message: "HTTP 503", Retryable: true}
	RecordFailure(st, "a@x.io", f, t0, 4, 30*time.Second, 0.5)
	RecordFailure(st, "a@x.io", f, t0, 4, 30*time.Second, 0.5)
	if len(st.Sent) != 0 || len(st.Failed) != 1 {
		t.Fatalf("an email is in sent or failed, never both: %+v", st)
	}
	got := st.Failed[0]
	if got.Attempts != 2 || got.Generation != 4 || !got.NextAttemptAt.Time.Equal(t0.Add(time.Minute)) {
		t.Fatalf("%+v", got)
	}
	RecordSent(st, sentEntry("a@x.io", "k", invv1.InvitationPending))
	if len(st.Failed) != 0 || len(st.Sent) != 1 {
		t.Fatalf("a later success replaces the failure: %+v", st)
	}
}

func TestSummarizeCountsDesiredEmailsOnly(t *testing.T) {
	t.Parallel()
	spec := &invv1.SiteInvitationSpec{Emails: []string{"a@x.io", "b@x.io", "c@x.io", "d@x.io"}}
	st := &invv1.SiteInvitationStatus{
		Sent: []invv1.SentInvitation{sentEntry("a@x.io", "1", invv1.InvitationAccepted), sentEntry("b@x.io", "2", invv1.InvitationPending),
			sentEntry("gone@x.io", "3", invv1.InvitationPending)},
		Failed:   []invv1.FailedInvitation{{Email: "c@x.io"}},
		InFlight: &invv1.InFlightBatch{Emails: []string{"d@x.io"}},
	}
	st.Summary = Summary(st, spec)
	want := invv1.InvitationSummary{Desired: 4, Sent: 2, Accepted: 1, Failed: 1, InFlight: 1}
	if st.Summary != want {
		t.Fatalf("%+v, want %+v", st.Summary, want)
	}
}

// TestProviderValuesAreClampedToWhatStatusHolds: an over-long key or role from a provider must never make
// the status write fail (on Wix a rejected outcome write would turn a sent invite into an unknown one).
func TestProviderValuesAreClampedToWhatStatusHolds(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("k", 65)
	roles := make([]string, 12)
	for i := range roles {
		roles[i] = strings.Repeat("r", 70)
	}
	st := &invv1.SiteInvitationStatus{}
	RecordSent(st, invv1.SentInvitation{Email: "a@x.io", InviteID: long, Roles: roles, State: invv1.InvitationPending})
	RecordSent(st, invv1.SentInvitation{Email: "b@x.io", InviteID: "ok-key", Roles: []string{"author"}, State: invv1.InvitationPending})
	RecordSent(st, invv1.SentInvitation{Email: "c@x.io", InviteID: "bad\nkey", State: invv1.InvitationPending})
	total := 0
	for _, r := range st.Sent[0].Roles {
		total += len(r)
		if len(r) > 64 {
			t.Fatalf("a role over 64 bytes kept: %q", r)
		}
	}
	if st.Sent[0].InviteID != "" || len(st.Sent[0].Roles) == 0 || len(st.Sent[0].Roles) > 10 || total > 200 {
		t.Fatalf("over-long values kept (%d bytes of roles): %+v", total, st.Sent[0])
	}
	wix := make([]string, 10) // the largest spec.roles the CRD admits: 10 Wix role IDs of 20 digits
	for i := range wix {
		wix[i] = strings.Repeat("9", 20)
	}
	RecordSent(st, invv1.SentInvitation{Email: "d@x.io", Roles: wix, State: invv1.InvitationPending})
	if got := st.Sent[3].Roles; !slices.Equal(got, wix) {
		t.Fatalf("the largest roles the spec admits were cut: %v", got)
	}
	if st.Sent[1].InviteID != "ok-key" || !slices.Equal(st.Sent[1].Roles, []string{"author"}) {
		t.Fatalf("valid values changed: %+v", st.Sent[1])
	}
	if st.Sent[2].InviteID != "" {
		t.Fatalf("a key with control characters kept: %q", st.Sent[2].InviteID)
	}
	Refresh(st, ByEmail([]provider.Observation{{Email: "b@x.io", InviteID: long, State: provider.Pending}}), []string{"b@x.io"}, true, t0)
	if st.Sent[1].InviteID != "ok-key" {
		t.Fatalf("an over-long key from a refresh replaced a valid one: %q", st.Sent[1].InviteID)
	}
}

// TestAdoptedInvitesAreMarkedAndNotRevoked: an invite found at the provider is marked adopted, and
// removal under removalPolicy Revoke leaves it alone unless the spec opts in.
func TestAdoptedInvitesAreMarkedAndNotRevoked(t *testing.T) {
	t.Parallel()
	st := &invv1.SiteInvitationStatus{}
	Adopt(st, []string{"a@x.io"}, ByEmail([]provider.Observation{{Email: "a@x.io", InviteID: "k", State: provider.Pending}}), []string{"author"}, t0)
	if len(st.Sent) != 1 || !st.Sent[0].Adopted {
		t.Fatalf("adopted entry: %+v", st.Sent)
	}
	spec := &invv1.SiteInvitationSpec{Emails: []string{"other@x.io"}, RemovalPolicy: invv1.RemovalPolicyRevoke}
	plan := Compute(PlanInput{Spec: spec, Status: st, Now: t0})
	if len(plan.Revoke) != 0 || !slices.Equal(plan.Drop, []string{"a@x.io"}) {
		t.Fatalf("an adopted invite is dropped, not revoked: %+v", plan)
	}
	spec.ManageAdoptedInvites = true
	if plan := Compute(PlanInput{Spec: spec, Status: st, Now: t0}); len(plan.Revoke) != 1 {
		t.Fatalf("with manageAdoptedInvites it is revoked: %+v", plan)
	}
}

// TestNotAllowedEmailsAreHeldAndSentOnceAllowed: the policy's verdict is an input, never remembered.
func TestNotAllowedEmailsAreHeldAndSentOnceAllowed(t *testing.T) {
	t.Parallel()
	spec := &invv1.SiteInvitationSpec{Emails: []string{"a@x.io", "b@y.io"}}
	st := &invv1.SiteInvitationStatus{}
	held := map[string]string{"b@y.io": "domain y.io is not allowed"}
	plan := Compute(PlanInput{Spec: spec, Generation: 1, Status: st, Now: t0, NotAllowed: held})
	if !slices.Equal(plan.Send, []string{"a@x.io"}) || !slices.Equal(plan.Held, []string{"b@y.io"}) {
		t.Fatalf("plan: %+v", plan)
	}
	RecordNotAllowed(st, "b@y.io", held["b@y.io"], t0, 1)
	before := *st.DeepCopy()
	RecordNotAllowed(st, "b@y.io", held["b@y.io"], t0.Add(time.Hour), 1)
	if !reflect.DeepEqual(before, *st) {
		t.Fatalf("recording the same hold again changed the status (a write every pass): %+v", st.Failed)
	}
	if plan := Compute(PlanInput{Spec: spec, Generation: 1, Status: st, Now: t0}); !slices.Equal(plan.Send, []string{"a@x.io", "b@y.io"}) {
		t.Fatalf("once allowed, the held email is sent without a spec change: %+v", plan)
	}
}

// TestRefreshJudgesOnlyWhatItAsked: a listing keeps only the emails it was asked about, so an entry it was
// not asked about is not "absent" and must not turn Revoked.
func TestRefreshJudgesOnlyWhatItAsked(t *testing.T) {
	t.Parallel()
	st := &invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sentEntry("a@x.io", "k1", invv1.InvitationPending),
		sentEntry("b@x.io", "k2", invv1.InvitationPending)}}
	Refresh(st, ByEmail(nil), []string{"b@x.io"}, true, t0)
	if st.Sent[0].State != invv1.InvitationPending || st.Sent[1].State != invv1.InvitationRevoked {
		t.Fatalf("only b was asked about and is absent: %+v", st.Sent)
	}
}
