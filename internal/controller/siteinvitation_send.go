package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// sendMissing sends every desired email that has no invite and is due, batch by batch: the intent record
// is written first (optimistic concurrency: a conflict means someone else owns the work), then the
// provider is called, then the outcomes and the cleared intent are written together.
func (r *SiteInvitationReconciler) sendMissing(ctx context.Context, p *pass) error {
	token := p.obj.Annotations[invv1.RetryAnnotation]
	retry := token != "" && token != p.st.LastHandledRetry
	plan := Compute(PlanInput{Spec: &p.obj.Spec, Generation: p.obj.Generation, Status: p.st, Now: r.now(), RetryRequested: retry})
	p.wakeAt(plan.NextAttempt)
	if retry && len(plan.Retried) == 0 {
		p.st.LastHandledRetry = token // nothing to retry: the token is handled
	}
	if len(plan.Send) == 0 {
		return nil
	}
	if plan.HoldSends {
		p.cause = conditionState{Reconciling: true, Reason: ReasonRevoking,
			Message: "new invites wait until the pending invites of removed emails are revoked"}
		return errStop
	}
	if err := r.ensureFinalizer(ctx, p, p.obj.Spec.RemovalPolicy == invv1.RemovalPolicyRevoke); err != nil {
		return err
	}
	caps := p.h.Client.Capabilities()
	todo := plan.Send
	if caps.ListsPending && neverAttempted(p.st, todo) {
		// Status can be lost (restored from Git, deleted and re-created): adopt invites that already exist.
		if err := r.gate(p); err != nil {
			return err
		}
		obs, err := p.h.Client.Observe(ctx, p.obj.Spec.Site, nil)
		if err != nil {
			return r.callFailed(ctx, p, "observe", err)
		}
		r.refreshed.mark(client.ObjectKeyFromObject(p.obj).String(), r.now())
		byEmail := observations(obs)
		refresh(p.st, byEmail, false)
		if todo = adopt(p.st, todo, byEmail, p.obj.Spec.Roles, r.now()); len(todo) < len(plan.Send) {
			logf.FromContext(ctx).Info("Adopted existing invites", "count", len(plan.Send)-len(todo))
		}
	}
	batches := Batches(todo, caps.BatchSize)
	for i, batch := range batches {
		if err := r.gate(p); err != nil {
			return err
		}
		if retry && i == 0 {
			p.st.LastHandledRetry = token // recorded with the first intent: the token acts once
		}
		if err := r.sendBatch(ctx, p, batch); err != nil {
			if p.requestFailure != nil {
				// The provider refused the request itself (an unknown role or site): every other batch
				// would get the same answer, so they are recorded with it instead of being sent.
				f := *p.requestFailure
				f.Message = provider.Truncate("not sent: the provider refused the same request for other emails: "+f.Message, 128)
				for _, rest := range batches[i+1:] {
					for _, e := range rest {
						recordFailure(p.st, e, f, r.now(), p.obj.Generation, 0, 0)
					}
				}
			}
			return err
		}
	}
	return nil
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

// sendBatch is one turn of the intent → call → outcome protocol.
func (r *SiteInvitationReconciler) sendBatch(ctx context.Context, p *pass, batch []string) error {
	log := logf.FromContext(ctx)
	intent := &invv1.InFlightBatch{ID: rand.String(16), Emails: batch, Roles: p.obj.Spec.Roles, StartedAt: timeOf(r.now())}
	p.st.InFlight = intent
	if err := r.writeStatus(ctx, p, conditionState{Reconciling: true, Reason: ReasonProgressing,
		Message: fmt.Sprintf("sending %d invites", len(batch))}); err != nil {
		if apierrors.IsConflict(err) {
			// Someone else changed the object first (another manager, a spec edit): nothing was sent.
			log.V(1).Info("Intent write conflicted; retrying later")
			p.cause = conditionState{Reconciling: true, Reason: ReasonProgressing, Message: "the object changed while sending; retrying"}
			p.wakeAt(r.now().Add(time.Second))
			return errStop
		}
		return err
	}

	// The call and its outcome write run to completion even when the manager is shutting down: a send
	// abandoned between the call and the write is exactly what the intent record exists for, and it is
	// cheaper not to create one.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.SendDeadline)
	defer cancel()
	spec := p.obj.Spec
	b := provider.Batch{Site: spec.Site, Emails: batch, Roles: spec.Roles, Message: spec.Message}
	if spec.Wix != nil {
		b.Language, b.Purpose, b.LocationIDs = spec.Wix.DefaultEmailLanguage, spec.Wix.InvitePurpose, spec.Wix.LocationIDs
	}
	if spec.WordPress != nil {
		b.External = spec.WordPress.IsExternal
	}
	outcomes, sendErr := p.h.Client.Send(sendCtx, b)
	if r.Hooks.AfterSend != nil {
		if err := r.Hooks.AfterSend(p.obj); err != nil {
			return err
		}
	}
	res := r.judge(p, batch, outcomes, sendErr)
	if err := r.writeOutcome(sendCtx, p, intent.ID, res); err != nil {
		return err
	}
	r.report(p, res)
	if len(res.sent) > 0 {
		// Just sent: they are pending; the next look at the provider is due a resync period from now.
		r.refreshed.mark(client.ObjectKeyFromObject(p.obj).String(), r.now())
	}
	if res.stop {
		return errStop
	}
	return nil
}

// sendResult is what one send means for each email of its batch.
type sendResult struct {
	sent     []provider.Outcome
	failed   map[string]failure
	unknown  []string // still in flight: settled after the send deadline
	rejected string   // the credential was refused (401)
	stop     bool
	err      error
}

// judge classifies a send's result: the one place send errors map to per-email records, conditions and
// requeues.
func (r *SiteInvitationReconciler) judge(p *pass, batch []string, outcomes []provider.Outcome, err error) sendResult {
	res := sendResult{failed: map[string]failure{}, err: err}
	now := r.now()
	if err == nil {
		for _, o := range outcomes {
			switch f, ok := failureOf(o.Err); {
			case o.Err == nil:
				res.sent = append(res.sent, o)
			case ok:
				res.failed[o.Email] = f
			default:
				res.unknown = append(res.unknown, o.Email)
			}
		}
		if len(res.unknown) > 0 {
			p.wakeAt(now.Add(r.SendDeadline))
		}
		return res
	}
	res.stop = true
	switch kind := provider.Classify(err); kind {
	case provider.KindOutcomeUnknown:
		res.unknown = batch
		p.cause = conditionState{Reconciling: true, Reason: ReasonWaitingForInFlight,
			Message: "a send got no usable answer (" + err.Error() + "); it is settled after the send deadline"}
		p.wakeAt(now.Add(r.SendDeadline))
	case provider.KindCredential:
		var ce *provider.CredentialError
		errors.As(err, &ce)
		if ce.Unauthenticated {
			res.rejected = ce.Message
			p.cause = conditionState{Stalled: true, Reason: ReasonCredentialRejected, Message: err.Error()}
		} else {
			p.cause = conditionState{Stalled: true, Reason: ReasonForbidden, Message: err.Error()}
		}
	default:
		f, _ := failureOf(err)
		for _, e := range batch {
			res.failed[e] = f
		}
		if !f.Retryable {
			p.requestFailure = &f
		}
		if f.Retryable {
			wait := Backoff(r.retryBase(), 1, f.RetryAfter, r.rnd())
			if f.RetryAfter > 0 {
				p.h.Hold(now.Add(f.RetryAfter))
			}
			p.wakeAt(now.Add(wait))
		}
	}
	return res
}

// applyOutcome writes a send's result into st and clears the intent (keeping only emails whose outcome is
// still unknown). It is re-applied to a fresh status after a write conflict, so it reads nothing else.
func (r *SiteInvitationReconciler) applyOutcome(st *invv1.SiteInvitationStatus, intent *invv1.InFlightBatch, res sendResult, generation int64) {
	now, rnd := r.now(), r.rnd()
	for _, o := range res.sent {
		recordSent(st, invv1.SentInvitation{Email: o.Email, InviteID: o.InviteID, Roles: intent.Roles, SentAt: timeOf(now), State: invv1.InvitationPending})
	}
	for e, f := range res.failed {
		recordFailure(st, e, f, now, generation, r.retryBase(), rnd)
	}
	if st.InFlight == nil || st.InFlight.ID != intent.ID {
		return // settled by someone else meanwhile; the records above are still the truth
	}
	st.InFlight = nil
	if len(res.unknown) > 0 {
		st.InFlight = &invv1.InFlightBatch{ID: intent.ID, Emails: res.unknown, Roles: intent.Roles, StartedAt: intent.StartedAt}
	}
}

// writeOutcome records a send's result. A conflict (the spec was edited meanwhile, say) re-reads the
// object without the cache and applies the result again: the outcome of a send must never be lost.
func (r *SiteInvitationReconciler) writeOutcome(ctx context.Context, p *pass, id string, res sendResult) error {
	intent := p.st.InFlight
	if res.rejected != "" {
		p.h.MarkRejected(res.rejected)
	}
	r.applyOutcome(p.st, intent, res, p.obj.Generation)
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := r.writeStatus(ctx, p, r.assessWith(p))
		if err == nil {
			return nil
		}
		if attempt >= 8 || ctx.Err() != nil {
			return fmt.Errorf("recording the outcome of send %s: %w", id, err)
		}
		if !apierrors.IsConflict(err) {
			time.Sleep(backoff)
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		fresh := &invv1.SiteInvitation{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(p.obj), fresh); err != nil {
			return err
		}
		p.obj, p.st = fresh, fresh.Status.DeepCopy()
		r.applyOutcome(p.st, intent, res, p.obj.Generation)
	}
}

// report counts a send in the metrics and gathers its events; they are emitted once per reconcile
// (sendEvents), not once per batch: one API write instead of one per batch.
func (r *SiteInvitationReconciler) report(p *pass, res sendResult) {
	ns, ptype := p.obj.Namespace, string(p.h.Type)
	for _, o := range res.sent {
		p.sent = append(p.sent, o.Email)
	}
	r.Metrics.InvitesSent.WithLabelValues(ptype, ns).Add(float64(len(res.sent)))
	if p.failed == nil {
		p.failed = map[string][]string{}
	}
	for e, f := range res.failed {
		p.failed[f.Reason] = append(p.failed[f.Reason], e)
		r.Metrics.Failures.WithLabelValues(ptype, ns, f.Reason).Inc()
	}
	if res.err != nil && provider.Classify(res.err) == provider.KindCredential {
		r.Recorder.Eventf(p.obj, nil, "Warning", p.cause.Reason, "Send", "%s", res.err.Error())
	}
	if len(res.unknown) > 0 {
		r.Metrics.UnknownOutcomes.WithLabelValues(ptype, ns).Add(float64(len(res.unknown)))
		r.Recorder.Eventf(p.obj, nil, "Warning", "OutcomeUnknown", "Send",
			"No usable answer for %d invites (%s); settling after the send deadline", len(res.unknown), maskList(res.unknown))
	}
}

// sendEvents emits what this reconcile's sends did: one event for the invites sent, one per failure reason.
func (r *SiteInvitationReconciler) sendEvents(p *pass) {
	if len(p.sent) > 0 {
		r.Recorder.Eventf(p.obj, nil, "Normal", "InvitesSent", "Send", "Sent %d invites: %s", len(p.sent), maskList(p.sent))
	}
	reasons := make([]string, 0, len(p.failed))
	for reason := range p.failed {
		reasons = append(reasons, reason)
	}
	slices.Sort(reasons)
	for _, reason := range reasons {
		emails := p.failed[reason]
		slices.Sort(emails)
		r.Recorder.Eventf(p.obj, nil, "Warning", "InviteFailed", "Send", "%d not invited (%s): %s", len(emails), reason, maskList(emails))
	}
}
