package ledger

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *metav1.Time { t := metav1.NewTime(t0.Add(d)); return &t }

func sentEntry(email, id string, state invv1.InvitationState) invv1.SentInvitation {
	return invv1.SentInvitation{Email: email, InviteID: id, State: state, SentAt: metav1.NewTime(t0)}
}

func TestComputePlansEachEmailOnce(t *testing.T) {
	t.Parallel()
	spec := func(policy invv1.RemovalPolicy, emails ...string) *invv1.SiteInvitationSpec {
		return &invv1.SiteInvitationSpec{Emails: emails, Roles: []string{"author"}, RemovalPolicy: policy}
	}
	cases := []struct {
		name      string
		spec      *invv1.SiteInvitationSpec
		gen       int64
		status    invv1.SiteInvitationStatus
		retry     bool
		wantSend  []string
		wantRetry []string
		wantRevok []string
		wantKeys  []string
		wantDrop  []string
		wantNext  time.Time
		wantHold  bool
	}{
		{name: "fresh object sends everyone in spec order", spec: spec("", "b@x.io", "a@x.io"), gen: 1,
			wantSend: []string{"b@x.io", "a@x.io"}},
		{name: "sent and in-flight emails are not sent again", spec: spec("", "a@x.io", "b@x.io", "c@x.io"), gen: 1,
			status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sentEntry("a@x.io", "1", invv1.InvitationPending)},
				InFlight: &invv1.InFlightBatch{Emails: []string{"b@x.io"}}},
			wantSend: []string{"c@x.io"}},
		{name: "expired and revoked invites are not re-sent by themselves", spec: spec("", "a@x.io", "b@x.io"), gen: 1,
			status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sentEntry("a@x.io", "1", invv1.InvitationExpired),
				sentEntry("b@x.io", "2", invv1.InvitationRevoked)}}},
		{name: "a retryable failure waits for its time", spec: spec("", "a@x.io", "b@x.io"), gen: 1,
			status: invv1.SiteInvitationStatus{Failed: []invv1.FailedInvitation{
				{Email: "a@x.io", Retryable: true, NextAttemptAt: at(time.Minute)},
				{Email: "b@x.io", Retryable: true, NextAttemptAt: at(-time.Second)}}},
			wantSend: []string{"b@x.io"}, wantNext: t0.Add(time.Minute)},
		{name: "a permanent failure waits for a spec change", spec: spec("", "a@x.io", "b@x.io"), gen: 3,
			status: invv1.SiteInvitationStatus{Failed: []invv1.FailedInvitation{
				{Email: "a@x.io", Reason: provider.ReasonUnknownRole, Generation: 3},
				{Email: "b@x.io", Reason: provider.ReasonUnknownRole, Generation: 2}}},
			wantSend: []string{"b@x.io"}},
		{name: "an unknown outcome is never re-sent by a spec change", spec: spec("", "a@x.io"), gen: 9,
			status: invv1.SiteInvitationStatus{Failed: []invv1.FailedInvitation{{Email: "a@x.io", Reason: invv1.ReasonOutcomeUnknown, Generation: 1}}}},
		{name: "a retry request re-sends permanent and unknown failures", spec: spec("", "a@x.io", "b@x.io", "c@x.io"), gen: 1, retry: true,
			status: invv1.SiteInvitationStatus{Failed: []invv1.FailedInvitation{
				{Email: "a@x.io", Reason: invv1.ReasonOutcomeUnknown, Generation: 1},
				{Email: "b@x.io", Reason: provider.ReasonAlreadyMember, Generation: 1},
				{Email: "c@x.io", Retryable: true, NextAttemptAt: at(time.Hour)}}},
			wantSend: []string{"a@x.io", "b@x.io"}, wantRetry: []string{"a@x.io", "b@x.io"}, wantNext: t0.Add(time.Hour)},
		{name: "removed emails under Keep are dropped, not revoked", spec: spec(invv1.RemovalPolicyKeep, "a@x.io"), gen: 2,
			status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sentEntry("a@x.io", "1", invv1.InvitationPending),
				sentEntry("b@x.io", "2", invv1.InvitationPending)}, Failed: []invv1.FailedInvitation{{Email: "c@x.io"}}},
			wantDrop: []string{"b@x.io", "c@x.io"}},
		{name: "removed emails under Revoke: pending ones are revoked, others dropped", spec: spec(invv1.RemovalPolicyRevoke, "a@x.io"), gen: 2,
			status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sentEntry("a@x.io", "1", invv1.InvitationPending),
				sentEntry("b@x.io", "2", invv1.InvitationPending), sentEntry("c@x.io", "", invv1.InvitationPending),
				sentEntry("d@x.io", "4", invv1.InvitationAccepted)}},
			wantRevok: []string{"b@x.io"}, wantKeys: []string{"c@x.io"}, wantDrop: []string{"d@x.io"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Compute(PlanInput{Spec: tc.spec, Generation: tc.gen, Status: &tc.status, Now: t0, RetryRequested: tc.retry})
			var revoked []string
			for _, s := range p.Revoke {
				revoked = append(revoked, s.Email)
			}
			check := func(what string, got, want []string) {
				if !slices.Equal(got, want) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("send", p.Send, tc.wantSend)
			check("retried", p.Retried, tc.wantRetry)
			check("revoke", revoked, tc.wantRevok)
			check("need keys", p.NeedKeys, tc.wantKeys)
			check("drop", p.Drop, tc.wantDrop)
			if !p.NextAttempt.Equal(tc.wantNext) || p.HoldSends != tc.wantHold {
				t.Errorf("next attempt %v hold %v, want %v %v", p.NextAttempt, p.HoldSends, tc.wantNext, tc.wantHold)
			}
		})
	}
}

func TestComputeHoldsSendsWhileTooManyRevocationsWait(t *testing.T) {
	t.Parallel()
	st := invv1.SiteInvitationStatus{}
	for i := range maxRemovedAwaitingRevoke + 1 {
		st.Sent = append(st.Sent, sentEntry(string(rune('a'+i%26))+itoa3(i)+"@old.io", "id", invv1.InvitationPending))
	}
	p := Compute(PlanInput{Spec: &invv1.SiteInvitationSpec{Emails: []string{"new@x.io"}, RemovalPolicy: invv1.RemovalPolicyRevoke},
		Generation: 1, Status: &st, Now: t0})
	if !p.HoldSends || len(p.Revoke) != maxRemovedAwaitingRevoke+1 {
		t.Fatalf("hold %v with %d revocations", p.HoldSends, len(p.Revoke))
	}
}

func itoa3(i int) string {
	return string([]byte{byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
}

func TestBatches(t *testing.T) {
	t.Parallel()
	got := Batches([]string{"a", "b", "c", "d", "e"}, 2)
	if len(got) != 3 || !slices.Equal(got[2], []string{"e"}) {
		t.Fatalf("%v", got)
	}
	got[0] = append(got[0], "x") // a batch must not alias the next one
	if got[1][0] != "c" {
		t.Fatal("batches share a backing array")
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	base := 30 * time.Second
	cases := []struct {
		attempts   int32
		retryAfter time.Duration
		rnd        float64
		min, max   time.Duration
	}{
		{1, 0, 0, 24 * time.Second, 24 * time.Second},
		{1, 0, 0.999, 35 * time.Second, 36 * time.Second},
		{3, 0, 0.5, 2 * time.Minute, 2 * time.Minute},
		{30, 0, 0.5, time.Hour, time.Hour},
		{1, 7 * time.Second, 0.9, 7 * time.Second, 7 * time.Second},
	}
	for _, tc := range cases {
		if got := Backoff(base, tc.attempts, tc.retryAfter, tc.rnd); got < tc.min || got > tc.max {
			t.Errorf("Backoff(%d, %v, %v) = %v, want in [%v, %v]", tc.attempts, tc.retryAfter, tc.rnd, got, tc.min, tc.max)
		}
	}
}
