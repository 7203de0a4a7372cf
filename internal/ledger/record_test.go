package ledger

import (
	"slices"
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
	Refresh(st, obs, true)
	if st.Sent[0].State != invv1.InvitationAccepted || st.Sent[1].InviteID != "k3" || st.Sent[2].State != invv1.InvitationRevoked {
		t.Fatalf("WordPress.com refresh: %+v", st.Sent)
	}
	Refresh(wix, obs, false)
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
