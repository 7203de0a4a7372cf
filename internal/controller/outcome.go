package controller

import (
	"errors"
	"time"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
)

// call names the provider call an error came from; the same error means different things for a send
// (it may have emailed someone) and for a look (it changed nothing).
type call string

const (
	callSend    call = "send"
	callObserve call = "observe"
	callRevoke  call = "revoke"
	callResend  call = "resend"
)

// timing is what outcomeOf needs to place an outcome in time.
type timing struct {
	now          time.Time
	retryBase    time.Duration
	sendDeadline time.Duration
	rnd          float64 // jitter in [0,1)
}

// outcome is what one provider error means for the object and for everyone using the provider.
type outcome struct {
	// cond, when set, is the condition the error gives the object: the pass ends with it. Nil for errors
	// recorded per email only (a send's rejections and refusals: the status assessment speaks for them).
	cond *conditionState
	// failure is recorded for every email of a send that failed this way; nil when the error is not
	// about the emails (a credential, an unknown outcome).
	failure *ledger.Failure
	// unknown: the call may have reached the provider and no usable answer came back; a send's emails
	// stay in flight until settled.
	unknown bool
	// retryAt is when to look again; zero when only a human (or a spec change) can help.
	retryAt time.Time
	// hold is the provider's Retry-After: no call with this provider's credential before then.
	hold time.Time
	// rejected, when non-empty, is the provider's message for a credential it refused (401): every
	// caller stops until the Secret changes.
	rejected string
	// done: the error means what the call wanted is already true (revoking an invite that is gone).
	done bool
}

// outcomeOf is the one mapping from a provider error to its outcome, for every call. It is pure.
func outcomeOf(c call, err error, t timing) outcome {
	switch provider.Classify(err) {
	case provider.KindNone:
		return outcome{done: true}
	case provider.KindCredential:
		var ce *provider.CredentialError
		errors.As(err, &ce)
		if ce.Unauthenticated {
			return outcome{cond: credentialRejected(err.Error()), rejected: ce.Message}
		}
		return outcome{cond: &conditionState{Stalled: true, Reason: invv1.ReasonForbidden, Message: err.Error()}}
	case provider.KindOutcomeUnknown:
		if c == callSend || c == callResend {
			return outcome{unknown: true, retryAt: t.now.Add(t.sendDeadline), cond: &conditionState{Reconciling: true,
				Reason: invv1.ReasonWaitingForInFlight, Message: "a send got no usable answer (" + err.Error() + "); it is settled after the send deadline"}}
		}
	case provider.KindNotFound:
		if c == callRevoke {
			return outcome{done: true}
		}
		f := ledger.Failure{Reason: provider.ReasonSiteNotFound, Message: err.Error()}
		return permanent(c, f, err)
	case provider.KindPermanent:
		f := ledger.Failure{Reason: provider.ReasonRejected, Message: err.Error()}
		var pe *provider.PermanentError
		if errors.As(err, &pe) {
			f.Reason, f.Message = pe.Reason, pe.Message
			if pe.Code != "" {
				f.Message = pe.Code + ": " + pe.Message
			}
		}
		return permanent(c, f, err)
	}
	// Transient, and any error of no provider type (a cancelled context, a bug): retried with backoff.
	retryAfter := provider.RetryAfter(err)
	o := outcome{retryAt: t.now.Add(ledger.Backoff(t.retryBase, 1, retryAfter, t.rnd))}
	if retryAfter > 0 {
		o.hold = t.now.Add(retryAfter)
	}
	if c == callSend {
		o.failure = &ledger.Failure{Reason: transientReason(err), Message: err.Error(), Retryable: true, RetryAfter: retryAfter}
		return o
	}
	o.cond = &conditionState{Reconciling: true, Reason: invv1.ReasonRetrying, Message: string(c) + ": " + err.Error()}
	return o
}

// permanent is a rejection that repeats until the input changes: per email for a send, a stalled object
// for any other call.
func permanent(c call, f ledger.Failure, err error) outcome {
	if c == callSend {
		return outcome{failure: &f}
	}
	return outcome{cond: &conditionState{Stalled: true, Reason: f.Reason, Message: string(c) + ": " + err.Error()}}
}

func transientReason(err error) string {
	var (
		te *provider.TransientError
		ue *provider.UndeliveredError
	)
	switch {
	case errors.As(err, &ue):
		// Stored but never emailed (Ghost's mail step failed): nobody has a link, and sending again
		// replaces the stored invite and emails it once.
		return provider.ReasonUndelivered
	case errors.As(err, &te) && te.StatusCode == 429:
		return invv1.FailureRateLimited
	}
	return invv1.FailureProviderUnavailable
}

// credentialRejected is the condition of an object whose provider refused the credential.
func credentialRejected(message string) *conditionState {
	return &conditionState{Stalled: true, Reason: invv1.ReasonCredentialRejected,
		Message: "the provider rejected the credential; fix the provider's Secret: " + message}
}

// apply records the outcome's effects on the provider: its Retry-After hold and a rejected credential.
func (o outcome) apply(h *Handle) {
	if !o.hold.IsZero() {
		h.Hold(o.hold)
	}
	if o.rejected != "" {
		h.MarkRejected(o.rejected)
	}
}
