package controller

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// pendingUntil is a pending invite of email that lapses at t0+d.
func pendingUntil(email string, d time.Duration) invv1.SentInvitation {
	exp := metav1.NewTime(t0.Add(d))
	return invv1.SentInvitation{Email: email, InviteID: "inv-" + email, Roles: []string{"author"}, SentAt: metav1.NewTime(t0.Add(-time.Hour)),
		ExpiresAt: &exp, State: invv1.InvitationPending}
}

// TestWokenAtTheEarliestExpiry: an object comes back at its earliest expiry, not at the next resync, and
// the invite reads Expired then without the provider telling.
func TestWokenAtTheEarliestExpiry(t *testing.T) {
	t.Parallel()
	w := newClockWorld(t, invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{
		pendingUntil("a@x.io", 90*time.Second), pendingUntil("b@x.io", time.Hour)}}, "a@x.io", "b@x.io")
	w.fp.caps.ListsPending = false // Wix: the provider cannot say
	if res := w.reconcile(); res.RequeueAfter != 90*time.Second {
		t.Fatalf("woken after %v, want at the first expiry, 90s (resync: 10m)", res.RequeueAfter)
	}
	w.clock.SetTime(t0.Add(90 * time.Second))
	res := w.reconcile()
	obj := w.object()
	states := []invv1.InvitationState{obj.Status.Sent[0].State, obj.Status.Sent[1].State}
	if !slices.Equal(states, []invv1.InvitationState{invv1.InvitationExpired, invv1.InvitationPending}) {
		t.Fatalf("states %v", states)
	}
	if obj.Status.Summary.Expired != 1 || condition(obj, invv1.ConditionReady) != "True/"+invv1.ReasonSucceeded {
		t.Fatalf("summary %+v, Ready %s", obj.Status.Summary, condition(obj, invv1.ConditionReady))
	}
	if res.RequeueAfter > 8*time.Minute {
		t.Fatalf("next wake after %v, want at the next look at the provider (0.8 × resync)", res.RequeueAfter)
	}
}

// TestResendPolicyWaitsAfterExpiry: an expired invite is resent afterExpiry after it lapsed, once per
// lapse, until maxResends; the object says when the next one is due.
func TestResendPolicyWaitsAfterExpiry(t *testing.T) {
	t.Parallel()
	w := newClockWorldWith(t, invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{pendingUntil("a@x.io", 0)}},
		func(o *invv1.SiteInvitation, _ *[]client.Object) {
			o.Spec.ResendPolicy = &invv1.ResendPolicy{AfterExpiry: "1h", MaxResends: 2}
		}, "a@x.io")
	w.fp.caps.ListsPending = false
	w.fp.resendTTL = 24 * time.Hour
	w.r.ResyncPeriod = 4 * time.Hour // longer than afterExpiry: the wake is the policy's
	if res := w.reconcile(); res.RequeueAfter != time.Hour {
		t.Fatalf("woken after %v, want afterExpiry (1h)", res.RequeueAfter)
	}
	if ready := readyMessage(w.object()); !strings.Contains(ready, "1 expired (next automatic resend at "+t0.Add(time.Hour).UTC().Format(time.RFC3339)+")") {
		t.Fatalf("Ready message %q", ready)
	}
	for range 4 {
		w.clock.SetTime(w.clock.Now().Add(25 * time.Hour)) // past the new expiry and afterExpiry
		w.reconcile()
	}
	if n := countCalls(w.fp.Calls(), "resend"); n != 2 {
		t.Fatalf("%d resends, want maxResends 2: %v", n, w.fp.Calls())
	}
	if s := w.object().Status.Sent[0]; s.Resends != 2 || s.State != invv1.InvitationExpired {
		t.Fatalf("after the limit: %+v", s)
	}
}

// TestSuspendedShowsThePlanAndCallsNothing: a suspended object makes no provider call and shows the plan.
func TestSuspendedShowsThePlanAndCallsNothing(t *testing.T) {
	t.Parallel()
	w := newClockWorldWith(t, invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{pendingUntil("a@x.io", -time.Minute)}},
		func(o *invv1.SiteInvitation, _ *[]client.Object) {
			o.Spec.Suspend = true
			o.Spec.ResendPolicy = &invv1.ResendPolicy{MaxResends: 1}
			o.Spec.Roles = []string{"editor"}
			o.Spec.RoleChangePolicy = invv1.RoleChangeReissue
		}, "a@x.io", "b@x.io")
	w.reconcile()
	if calls := w.fp.Calls(); len(calls) != 0 {
		t.Fatalf("a suspended object called the provider: %v", calls)
	}
	plan := w.object().Status.Plan
	if plan == nil || plan.Send == nil || plan.Send.Count != 1 || plan.Send.Emails[0].Email != "b@x.io" {
		t.Fatalf("plan %+v", plan)
	}
	// a expired (not pending): it is resent, not re-issued, and keeps its roles.
	if plan.Resend == nil || plan.Resend.Emails[0] != (invv1.PlannedEmail{Email: "a@x.io", Reason: invv1.PlanExpired}) || plan.Reissue != nil {
		t.Fatalf("plan resend %+v reissue %+v", plan.Resend, plan.Reissue)
	}
	if !strings.Contains(plan.Note, "adopted, not sent") {
		t.Fatalf("a provider that lists pending invites may adopt: note %q", plan.Note)
	}
}

func readyMessage(o *invv1.SiteInvitation) string {
	for _, c := range o.Status.Conditions {
		if c.Type == invv1.ConditionReady {
			return c.Message
		}
	}
	return ""
}

func countCalls(calls []string, call string) int {
	n := 0
	for _, c := range calls {
		if c == call {
			n++
		}
	}
	return n
}
