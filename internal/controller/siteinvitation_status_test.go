package controller

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
)

// TestConditionsForTellsWhereTheObjectStands: the conditions follow from spec and status alone, in the
// order a user needs them: in flight, to send, to revoke, retrying, needs a human, done.
func TestConditionsForTellsWhereTheObjectStands(t *testing.T) {
	t.Parallel()
	spec := invv1.SiteInvitationSpec{Emails: []string{"a@x.io", "b@x.io"}, Roles: []string{"author"}, RemovalPolicy: invv1.RemovalPolicyRevoke}
	sent := func(email string, state invv1.InvitationState) invv1.SentInvitation {
		return invv1.SentInvitation{Email: email, InviteID: "k-" + email, State: state, SentAt: metav1.NewTime(t0)}
	}
	later := metav1.NewTime(t0.Add(time.Minute))
	cases := []struct {
		name        string
		status      invv1.SiteInvitationStatus
		outside     map[string]string
		want        string // condString
		wantMessage string
	}{
		{name: "nothing sent yet", want: "Reconciling " + invv1.ReasonProgressing, wantMessage: "2 invites to send"},
		{name: "a send in flight comes first", status: invv1.SiteInvitationStatus{
			InFlight: &invv1.InFlightBatch{Emails: []string{"a@x.io"}, StartedAt: metav1.NewTime(t0)}},
			want: "Reconciling " + invv1.ReasonWaitingForInFlight, wantMessage: "settled after 2026-11-25T12:02:00Z"},
		{name: "a removed pending invite awaits revocation", status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{
			sent("a@x.io", invv1.InvitationPending), sent("b@x.io", invv1.InvitationPending), sent("gone@x.io", invv1.InvitationPending)}},
			want: "Reconciling " + invv1.ReasonRevoking, wantMessage: "1 pending invites of removed emails"},
		{name: "a retryable failure not due yet", status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sent("a@x.io", invv1.InvitationPending)},
			Failed: []invv1.FailedInvitation{{Email: "b@x.io", Reason: invv1.FailureRateLimited, Retryable: true, NextAttemptAt: &later}}},
			want: "Reconciling " + invv1.ReasonRetrying, wantMessage: "1 not invited: 1 RateLimited; next attempt at 2026-11-25T12:01:00Z"},
		{name: "a permanent failure needs a human", status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sent("a@x.io", invv1.InvitationPending)},
			Failed: []invv1.FailedInvitation{{Email: "b@x.io", Reason: provider.ReasonInvalidEmail, Generation: 1}}},
			want: "Stalled " + invv1.ReasonInvitesFailed, wantMessage: invv1.RetryAnnotation},
		{name: "an unknown outcome is named as such", status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sent("a@x.io", invv1.InvitationPending)},
			Failed: []invv1.FailedInvitation{{Email: "b@x.io", Reason: invv1.ReasonOutcomeUnknown, Generation: 1}}},
			want: "Stalled " + invv1.ReasonOutcomeUnknown},
		{name: "already a member is where the invite was meant to lead", status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sent("a@x.io", invv1.InvitationAccepted)},
			Failed: []invv1.FailedInvitation{{Email: "b@x.io", Reason: provider.ReasonAlreadyMember, Generation: 1}}},
			want: "Ready " + invv1.ReasonSucceeded, wantMessage: "1 of 2 invited, 1 accepted, 1 already members"},
		{name: "everyone invited", status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sent("a@x.io", invv1.InvitationAccepted),
			sent("b@x.io", invv1.InvitationPending)}},
			want: "Ready " + invv1.ReasonSucceeded, wantMessage: "2 of 2 invited, 1 accepted"},
		{name: "an email the policy holds back", status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sent("a@x.io", invv1.InvitationPending)},
			Failed: []invv1.FailedInvitation{{Email: "b@x.io", Reason: invv1.ReasonNotAllowed, Message: "domain x.io is not in policy.allowedEmailDomains of InvitationProvider ns/wp"}}},
			outside: map[string]string{"b@x.io": "domain x.io is not in policy.allowedEmailDomains of InvitationProvider ns/wp"},
			want:    "Stalled " + invv1.ReasonNotAllowed, wantMessage: "policy.allowedEmailDomains of InvitationProvider ns/wp; they go out once the policy allows them"},
		{name: "invites sent before a policy tightened are kept and shown", status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{
			sent("a@x.io", invv1.InvitationPending), sent("b@x.io", invv1.InvitationAccepted)}},
			outside: map[string]string{"b@x.io": "domain x.io is not allowed"},
			want:    "Ready " + invv1.ReasonSucceeded, wantMessage: "1 invited before the provider's policy changed are outside it now"},
		{name: "a failed entry of a removed email does not count", status: invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{sent("a@x.io", invv1.InvitationPending),
			sent("b@x.io", invv1.InvitationPending)}, Failed: []invv1.FailedInvitation{{Email: "gone@x.io", Reason: provider.ReasonInvalidEmail}}},
			want: "Ready " + invv1.ReasonSucceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obj := &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Generation: 1}, Spec: spec}
			c := conditionsFor(ledger.PlanInput{Spec: &obj.Spec, Generation: obj.Generation, Status: &tc.status, Now: t0, NotAllowed: tc.outside}, 2*time.Minute)
			if got := condString(&c); got != tc.want {
				t.Errorf("conditions %q, want %q (message %q)", got, tc.want, c.Message)
			}
			if !strings.Contains(c.Message, tc.wantMessage) {
				t.Errorf("message %q, want it to contain %q", c.Message, tc.wantMessage)
			}
			if c.Ready && (c.Reconciling || c.Stalled) {
				t.Errorf("Ready together with Reconciling or Stalled: %+v", c)
			}
		})
	}
}
