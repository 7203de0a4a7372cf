package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
)

// sendMissing sends every desired email that has no invite and is due, batch by batch: the intent record
// is written first (optimistic concurrency: a conflict means someone else owns the work), then the
// provider is called, then the outcomes and the cleared intent are written together.
func (r *SiteInvitationReconciler) sendMissing(ctx context.Context, p *pass) (stepResult, error) {
	if p.policy.blocked != nil {
		// Outside the provider's policy: nothing is sent, the rest of the pass (settling, revoking,
		// refreshing what was sent before) goes on, and the conditions say which rule stopped it.
		return stepResult{cond: p.policy.blocked}, nil
	}
	token, retryAsked := p.token(invv1.RetryAnnotation, p.st.LastHandledRetry)
	plan := ledger.Compute(p.planInput(r.now()))
	wake := plan.NextAttempt
	for _, e := range plan.Held {
		ledger.RecordNotAllowed(p.st, e, p.policy.outside[e], r.now(), p.obj.Generation)
	}
	if retryAsked && len(plan.Retried) == 0 {
		p.st.LastHandledRetry = token // nothing to retry: the token is handled
	}
	if len(plan.Send) == 0 {
		return stepResult{wake: wake}, nil
	}
	if plan.HoldSends {
		return halted(&conditionState{Reconciling: true, Reason: invv1.ReasonRevoking,
			Message: "new invites wait until the pending invites of removed emails are revoked"}, wake), nil
	}
	caps := p.h.Client.Capabilities()
	todo := plan.Send
	if caps.ListsPending && neverAttempted(p.st, todo) {
		var stop *stepResult
		if todo, stop = r.adoptExisting(ctx, p, todo); stop != nil {
			return halted(stop.cond, earliest(wake, stop.wake)), nil
		}
	}
	ev := &sendEvents{failed: map[string][]string{}}
	defer func() { r.emitSendEvents(p.obj, ev) }() // p.obj may be a fresh copy by then
	batches := ledger.Batches(todo, caps.BatchSize)
	for i, batch := range batches {
		if res, ok := r.gate(p.h); !ok {
			return halted(res.cond, earliest(wake, res.wake)), nil
		}
		if retryAsked && i == 0 {
			p.st.LastHandledRetry = token // recorded with the first intent: the token acts once
		}
		res, err := r.sendBatch(ctx, p, batch)
		if err != nil {
			return stepResult{}, err
		}
		r.report(p, res, ev)
		if len(res.unknown) > 0 {
			wake = earliest(wake, r.now().Add(r.SendDeadline))
		}
		if o := res.request; o != nil {
			r.refuseRest(p, o, batches[i+1:])
			return halted(o.cond, earliest(wake, o.retryAt)), nil
		}
	}
	return stepResult{wake: wake}, nil
}

// adoptExisting looks, before a first send, for invites that already exist for todo (status lost: restored
// from Git, deleted and re-created) and records them as adopted. It returns the emails left to send, or
// the result that stops the step when the provider could not be asked.
func (r *SiteInvitationReconciler) adoptExisting(ctx context.Context, p *pass, todo []string) ([]string, *stepResult) {
	if res, ok := r.gate(p.h); !ok {
		return nil, &res
	}
	obs, err := r.observe(ctx, p, provider.Query{Emails: todo})
	if err != nil {
		res := r.callFailed(ctx, p, callObserve, err)
		return nil, &res
	}
	r.refreshed.mark(client.ObjectKeyFromObject(p.obj).String(), r.now())
	byEmail := ledger.ByEmail(obs)
	ledger.Refresh(p.st, byEmail, todo, false, r.now())
	rest := ledger.Adopt(p.st, todo, byEmail, p.obj.Spec.Roles, r.now())
	if len(rest) < len(todo) {
		logf.FromContext(ctx).Info("Adopted existing invites", "count", len(todo)-len(rest))
	}
	return rest, nil
}

// refuseRest records, for the batches not sent yet, the provider's refusal of a whole request as it stands
// (an unknown role or site): every other batch would get the same answer.
func (r *SiteInvitationReconciler) refuseRest(p *pass, o *outcome, rest [][]string) {
	if o.failure == nil || o.failure.Retryable {
		return
	}
	f := *o.failure
	f.Message = provider.Truncate("not sent: the provider refused the same request for other emails: "+f.Message, 128)
	for _, batch := range rest {
		for _, e := range batch {
			ledger.RecordFailure(p.st, e, f, r.now(), p.obj.Generation, 0, 0)
		}
	}
}

// neverAttempted reports whether some email in todo has never been tried (no failed entry): only then can
// an invite exist that status does not know about.
func neverAttempted(st *invv1.SiteInvitationStatus, todo []string) bool {
	failed := make(map[string]bool, len(st.Failed))
	for _, f := range st.Failed {
		failed[f.Email] = true
	}
	for _, e := range todo {
		if !failed[e] {
			return true
		}
	}
	return false
}

// sendResult is what one send means for each email of its batch.
type sendResult struct {
	sent    []provider.Outcome
	failed  map[string]ledger.Failure
	unknown []string // still in flight: settled after the send deadline
	// request is the outcome of a send that failed as a whole; nil when the provider answered per email.
	request *outcome
	err     error
}

// sendBatch is one turn of the intent → call → outcome protocol.
func (r *SiteInvitationReconciler) sendBatch(ctx context.Context, p *pass, batch []string) (sendResult, error) {
	intent := &invv1.InFlightBatch{ID: rand.String(16), Emails: batch, Roles: p.obj.Spec.Roles, StartedAt: ledger.TimeOf(r.now())}
	p.st.InFlight = intent
	if err := r.writeStatus(ctx, p.obj, p.st, conditionState{Reconciling: true, Reason: invv1.ReasonProgressing,
		Message: fmt.Sprintf("sending %d invites", len(batch))}); err != nil {
		return sendResult{}, err // nothing was sent; a conflict means someone else changed the object first
	}

	// The call and its outcome write run to completion even when the manager is shutting down: a send
	// abandoned between the call and the write is exactly what the intent record exists for, and it is
	// cheaper not to create one.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.SendDeadline)
	defer cancel()
	outcomes, sendErr := p.h.Client.Send(sendCtx, batchOf(&p.obj.Spec, batch))
	if r.Hooks.AfterSend != nil {
		if err := r.Hooks.AfterSend(p.obj); err != nil {
			return sendResult{}, err
		}
	}
	res := classifySend(batch, outcomes, sendErr, r.timing())
	if res.request != nil {
		res.request.apply(p.h)
	}
	if err := r.recordOutcome(ctx, p, intent, res); err != nil {
		return res, err
	}
	if len(res.sent) > 0 {
		// Just sent: they are pending; the next look at the provider is due a resync period from now.
		r.refreshed.mark(client.ObjectKeyFromObject(p.obj).String(), r.now())
	}
	return res, nil
}

// batchOf is the provider request for emails under spec.
func batchOf(spec *invv1.SiteInvitationSpec, emails []string) provider.Batch {
	b := provider.Batch{Site: spec.Site, Emails: emails, Roles: spec.Roles, Message: spec.Message}
	if spec.Wix != nil {
		b.Language, b.Purpose, b.LocationIDs = spec.Wix.DefaultEmailLanguage, spec.Wix.InvitePurpose, spec.Wix.LocationIDs
	}
	if spec.WordPress != nil {
		b.External = spec.WordPress.IsExternal
	}
	return b
}

// classifySend reads a send's answer email by email through outcomeOf.
func classifySend(batch []string, outcomes []provider.Outcome, err error, t timing) sendResult {
	res := sendResult{failed: map[string]ledger.Failure{}, err: err}
	if err != nil {
		o := outcomeOf(callSend, err, t)
		res.request = &o
		for _, e := range batch {
			switch {
			case o.unknown:
				res.unknown = append(res.unknown, e)
			case o.failure != nil:
				res.failed[e] = *o.failure
			}
		}
		return res
	}
	for _, out := range outcomes {
		switch o := outcomeOf(callSend, out.Err, t); {
		case out.Err == nil:
			res.sent = append(res.sent, out)
		case o.failure != nil:
			res.failed[out.Email] = *o.failure
		default:
			res.unknown = append(res.unknown, out.Email)
		}
	}
	return res
}

// applyOutcome writes a send's result into st and clears the intent (keeping only emails whose outcome is
// still unknown). It is re-applied to a fresh status after a write conflict, so it reads nothing else.
func (r *SiteInvitationReconciler) applyOutcome(st *invv1.SiteInvitationStatus, intent *invv1.InFlightBatch, res sendResult, generation int64) {
	now, rnd := r.now(), random(r.Rand)
	for _, o := range res.sent {
		ledger.RecordSent(st, invv1.SentInvitation{Email: o.Email, InviteID: o.InviteID, Roles: intent.Roles, SentAt: ledger.TimeOf(now),
			ExpiresAt: ledger.ExpiryOf(o.ExpiresAt), State: invv1.InvitationPending})
	}
	for e, f := range res.failed {
		ledger.RecordFailure(st, e, f, now, generation, r.retryBase(), rnd)
	}
	if st.InFlight == nil || st.InFlight.ID != intent.ID {
		return // settled by someone else meanwhile; the records above are still the truth
	}
	st.InFlight = nil
	if len(res.unknown) > 0 {
		st.InFlight = &invv1.InFlightBatch{ID: intent.ID, Emails: res.unknown, Roles: intent.Roles, StartedAt: intent.StartedAt}
	}
}

// outcomeWrite bounds the retries of an outcome write: about 25 s in all, well inside a shutdown's grace.
var outcomeWrite = wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 8, Cap: 5 * time.Second}

// recordOutcome writes a send's result (the request's condition when the whole request failed).
func (r *SiteInvitationReconciler) recordOutcome(ctx context.Context, p *pass, intent *invv1.InFlightBatch, res sendResult) error {
	var cond *conditionState
	if res.request != nil {
		cond = res.request.cond
	}
	err := r.writeOutcome(ctx, p, cond, func(st *invv1.SiteInvitationStatus, generation int64) {
		r.applyOutcome(st, intent, res, generation)
	})
	if err != nil {
		return fmt.Errorf("recording the outcome of send %s: %w", intent.ID, err)
	}
	return nil
}

// writeOutcome writes what provider calls that email people did (sends, resends), applied to the status
// by apply. It runs detached from cancellation — a shutdown must still record what was sent — and retries
// only what can pass: a conflict (the spec was edited meanwhile, say: apply runs again on a fresh copy
// read past the cache, so it must read nothing but its arguments) and transient API errors. Anything else
// (a rejected write) is returned at once; the intent record then tells the next pass what may have
// happened. cond, when set, is the condition written; otherwise the status decides.
func (r *SiteInvitationReconciler) writeOutcome(ctx context.Context, p *pass, cond *conditionState,
	apply func(st *invv1.SiteInvitationStatus, generation int64)) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.SendDeadline)
	defer cancel()
	apply(p.st, p.obj.Generation)
	var last error
	return retry.OnError(outcomeWrite, retriableWrite, func() error {
		if apierrors.IsConflict(last) {
			fresh := &invv1.SiteInvitation{}
			if last = r.APIReader.Get(ctx, client.ObjectKeyFromObject(p.obj), fresh); last != nil {
				return last
			}
			p.obj, p.st = fresh, fresh.Status.DeepCopy()
			apply(p.st, p.obj.Generation)
		}
		c := p.conditions(r.now(), r.SendDeadline)
		if cond != nil {
			c = *cond
		}
		last = r.writeStatus(ctx, p.obj, p.st, c)
		return last
	})
}

// retriableWrite says whether a failed API write may pass when tried again.
func retriableWrite(err error) bool {
	return apierrors.IsConflict(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsTooManyRequests(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err) ||
		utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err)
}

// sendEvents gathers one pass's send results, so they are emitted once per reconcile (one API write), not
// once per batch.
type sendEvents struct {
	sent   []string
	failed map[string][]string // by reason
}

// report counts a send in the metrics and gathers its events.
func (r *SiteInvitationReconciler) report(p *pass, res sendResult, ev *sendEvents) {
	ns, ptype := p.obj.Namespace, string(p.h.Type)
	for _, o := range res.sent {
		ev.sent = append(ev.sent, o.Email)
	}
	r.Metrics.InvitesSent.WithLabelValues(ptype, ns).Add(float64(len(res.sent)))
	for e, f := range res.failed {
		ev.failed[f.Reason] = append(ev.failed[f.Reason], e)
		r.Metrics.Failures.WithLabelValues(ptype, ns, f.Reason).Inc()
	}
	if o := res.request; o != nil && o.cond != nil && o.cond.Stalled {
		r.Recorder.Eventf(p.obj, nil, "Warning", o.cond.Reason, "Send", "%s", res.err.Error())
	}
	if len(res.unknown) > 0 {
		r.Metrics.UnknownOutcomes.WithLabelValues(ptype, ns).Add(float64(len(res.unknown)))
		r.Recorder.Eventf(p.obj, nil, "Warning", invv1.ReasonOutcomeUnknown, "Send",
			"No usable answer for %d invites (%s); settling after the send deadline", len(res.unknown), maskList(res.unknown))
	}
}

// emitSendEvents emits what this reconcile's sends did: one event for the invites sent, one per failure reason.
func (r *SiteInvitationReconciler) emitSendEvents(obj *invv1.SiteInvitation, ev *sendEvents) {
	if len(ev.sent) > 0 {
		r.Recorder.Eventf(obj, nil, "Normal", invv1.EventInvitesSent, "Send", "Sent %d invites: %s", len(ev.sent), maskList(ev.sent))
	}
	reasons := make([]string, 0, len(ev.failed))
	for reason := range ev.failed {
		reasons = append(reasons, reason)
	}
	slices.Sort(reasons)
	for _, reason := range reasons {
		emails := ev.failed[reason]
		slices.Sort(emails)
		r.Recorder.Eventf(obj, nil, "Warning", invv1.EventInviteFailed, "Send", "%d not invited (%s): %s", len(emails), reason, maskList(emails))
	}
}
