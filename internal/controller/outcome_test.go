package controller

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// TestOutcomeOfMapsEveryErrorOnce: every kind of provider error, from every call, has exactly one
// outcome. The columns are what a user notices: the condition, the per-email record, when the object is
// looked at again, and what happens to the provider (a hold, a rejected credential).
func TestOutcomeOfMapsEveryErrorOnce(t *testing.T) {
	t.Parallel()
	tm := timing{now: t0, retryBase: 30 * time.Second, sendDeadline: 2 * time.Minute, rnd: 0.5}
	unauth := &provider.CredentialError{StatusCode: 401, Unauthenticated: true, Code: "UNAUTHENTICATED", Message: "bad key"}
	forbidden := &provider.CredentialError{StatusCode: 403, Code: "PERMISSION_DENIED", Message: "no access to this site"}
	limited := &provider.TransientError{StatusCode: 429, RetryAfter: 7 * time.Second}
	down := &provider.TransientError{StatusCode: 503}
	lost := &provider.OutcomeUnknownError{Cause: errors.New("connection reset")}
	role := &provider.PermanentError{Reason: provider.ReasonUnknownRole, Code: "invalid_input", Message: "not a valid role"}
	gone := &provider.NotFoundError{What: "invite", Message: "no such invite"}
	cases := []struct {
		name        string
		call        call
		err         error
		wantCond    string // "Ready/Reconciling/Stalled reason", "" for none
		wantFailure string // "reason retryable", "" for none
		wantUnknown bool
		wantRetry   time.Duration // from now; 0 for none
		wantHold    time.Duration
		wantReject  string
		wantDone    bool
	}{
		{name: "nil error is done", call: callSend, err: nil, wantDone: true},
		{name: "401 on a send stalls and rejects the credential", call: callSend, err: unauth,
			wantCond: "Stalled " + invv1.ReasonCredentialRejected, wantReject: "bad key"},
		{name: "401 on a look does the same", call: callObserve, err: fmt.Errorf("wrapped: %w", unauth),
			wantCond: "Stalled " + invv1.ReasonCredentialRejected, wantReject: "bad key"},
		{name: "403 stalls this object only", call: callRevoke, err: forbidden, wantCond: "Stalled " + invv1.ReasonForbidden},
		{name: "429 on a send is a retryable failure per email, with the provider's hold", call: callSend, err: limited,
			wantFailure: invv1.FailureRateLimited + " true", wantRetry: 7 * time.Second, wantHold: 7 * time.Second},
		{name: "503 on a send backs off", call: callSend, err: down,
			wantFailure: invv1.FailureProviderUnavailable + " true", wantRetry: 30 * time.Second},
		{name: "429 on a look is Retrying with the hold", call: callObserve, err: limited,
			wantCond: "Reconciling " + invv1.ReasonRetrying, wantRetry: 7 * time.Second, wantHold: 7 * time.Second},
		{name: "a stored invite whose email was not sent is retried", call: callSend, err: &provider.UndeliveredError{Code: "EmailError", Message: "ECONNREFUSED"},
			wantFailure: provider.ReasonUndelivered + " true", wantRetry: 30 * time.Second},
		{name: "an error of no provider type is transient", call: callObserve, err: context.DeadlineExceeded,
			wantCond: "Reconciling " + invv1.ReasonRetrying, wantRetry: 30 * time.Second},
		{name: "a lost answer to a send waits for the send deadline", call: callSend, err: lost,
			wantCond: "Reconciling " + invv1.ReasonWaitingForInFlight, wantUnknown: true, wantRetry: 2 * time.Minute},
		{name: "a lost answer to a resend is unknown too", call: callResend, err: lost,
			wantCond: "Reconciling " + invv1.ReasonWaitingForInFlight, wantUnknown: true, wantRetry: 2 * time.Minute},
		{name: "a lost answer to a look changed nothing: transient", call: callObserve, err: lost,
			wantCond: "Reconciling " + invv1.ReasonRetrying, wantRetry: 30 * time.Second},
		{name: "a permanent rejection of a send is recorded per email, not retried", call: callSend, err: role,
			wantFailure: provider.ReasonUnknownRole + " false"},
		{name: "a permanent rejection of a look stalls with its reason", call: callObserve, err: role,
			wantCond: "Stalled " + provider.ReasonUnknownRole},
		{name: "revoking an invite that is gone is done", call: callRevoke, err: gone, wantDone: true},
		{name: "sending to an unknown site is a permanent failure", call: callSend, err: gone,
			wantFailure: provider.ReasonSiteNotFound + " false"},
		{name: "looking at an unknown site stalls", call: callObserve, err: gone, wantCond: "Stalled " + provider.ReasonSiteNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := outcomeOf(tc.call, tc.err, tm)
			if got := condString(o.cond); got != tc.wantCond {
				t.Errorf("condition %q, want %q", got, tc.wantCond)
			}
			gotFailure := ""
			if o.failure != nil {
				gotFailure = fmt.Sprintf("%s %v", o.failure.Reason, o.failure.Retryable)
			}
			if gotFailure != tc.wantFailure {
				t.Errorf("failure %q, want %q", gotFailure, tc.wantFailure)
			}
			if o.unknown != tc.wantUnknown || o.rejected != tc.wantReject || o.done != tc.wantDone {
				t.Errorf("unknown %v rejected %q done %v, want %v %q %v", o.unknown, o.rejected, o.done, tc.wantUnknown, tc.wantReject, tc.wantDone)
			}
			if got := sinceT0(o.retryAt); got != tc.wantRetry {
				t.Errorf("retry after %v, want %v", got, tc.wantRetry)
			}
			if got := sinceT0(o.hold); got != tc.wantHold {
				t.Errorf("hold %v, want %v", got, tc.wantHold)
			}
		})
	}
}

// TestOutcomeOfPermanentMessageKeepsTheProviderCode: the code helps a human search the provider's docs.
func TestOutcomeOfPermanentMessageKeepsTheProviderCode(t *testing.T) {
	t.Parallel()
	o := outcomeOf(callSend, &provider.PermanentError{Reason: provider.ReasonInvalidEmail, Code: "invalid_input", Message: "Invalid email"}, timing{now: t0})
	if o.failure == nil || o.failure.Message != "invalid_input: Invalid email" {
		t.Fatalf("failure %+v", o.failure)
	}
}

func condString(c *conditionState) string {
	if c == nil {
		return ""
	}
	state := "Ready"
	switch {
	case c.Stalled:
		state = "Stalled"
	case c.Reconciling:
		state = "Reconciling"
	}
	return state + " " + c.Reason
}

func sinceT0(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return t.Sub(t0)
}
