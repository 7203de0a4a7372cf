package controller

import (
	"cmp"
	"context"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// settleInFlight resolves an intent record left by a send whose outcome is not known (a crash, a lost
// answer, another manager). While it is younger than the send deadline the send may still be running
// elsewhere — a leader lease is no fence — so nothing else is sent until then.
func (r *SiteInvitationReconciler) settleInFlight(ctx context.Context, p *pass) error {
	inFlight := p.st.InFlight
	if inFlight == nil {
		return nil
	}
	if deadline := inFlight.StartedAt.Add(r.SendDeadline); r.now().Before(deadline) {
		p.cause = r.assess(p.obj, p.st)
		p.wakeAt(deadline)
		return errStop
	}
	if err := r.gate(p); err != nil {
		return err
	}
	obs, err := p.h.Client.Observe(ctx, p.obj.Spec.Site, inFlight.Emails)
	if err != nil {
		return r.callFailed(ctx, p, "observe", err)
	}
	unknown := settle(p.st, observations(obs), p.h.Client.Capabilities().ListsPending, r.now(), p.obj.Generation)
	if len(unknown) > 0 {
		r.Metrics.UnknownOutcomes.WithLabelValues(string(p.h.Type), p.obj.Namespace).Add(float64(len(unknown)))
		r.Recorder.Eventf(p.obj, nil, "Warning", ReasonOutcomeUnknown, "Settle",
			"%d invites may or may not have been sent (%s); set annotation %s to send them", len(unknown), maskList(unknown), invv1.RetryAnnotation)
	}
	if err := r.writeStatus(ctx, p, r.assessWith(p)); err != nil {
		if apierrors.IsConflict(err) {
			p.wakeAt(r.now().Add(time.Second))
			return errStop
		}
		return err
	}
	return nil
}

// revokeRemoved withdraws the pending invites of emails removed from the list (removalPolicy Revoke) and
// drops the entries of removed emails that need nothing more.
func (r *SiteInvitationReconciler) revokeRemoved(ctx context.Context, p *pass) error {
	return r.revoke(ctx, p, &p.obj.Spec)
}

// revoke runs the revocation part of the plan for spec (on deletion: a spec with no emails).
func (r *SiteInvitationReconciler) revoke(ctx context.Context, p *pass, spec *invv1.SiteInvitationSpec) error {
	plan := Compute(PlanInput{Spec: spec, Generation: p.obj.Generation, Status: p.st, Now: r.now()})
	dropEntries(p.st, plan.Drop)
	if len(plan.NeedKeys) > 0 {
		if !p.h.Client.Capabilities().ListsPending {
			// No key and no way to learn one: nothing can be revoked; say so and let the entries go.
			r.Recorder.Eventf(p.obj, nil, "Warning", "RevokeSkipped", "Revoke",
				"%d pending invites have no invite ID and cannot be revoked: %s", len(plan.NeedKeys), maskList(plan.NeedKeys))
			dropEntries(p.st, plan.NeedKeys)
		} else {
			if err := r.observeInto(ctx, p, plan.NeedKeys); err != nil {
				return err
			}
			plan = Compute(PlanInput{Spec: spec, Generation: p.obj.Generation, Status: p.st, Now: r.now()})
			dropEntries(p.st, plan.Drop)
			dropEntries(p.st, plan.NeedKeys) // the provider shows no pending invite for them
		}
	}
	var revoked []string
	defer func() {
		if len(revoked) > 0 {
			r.Metrics.Revoked.WithLabelValues(string(p.h.Type), p.obj.Namespace).Add(float64(len(revoked)))
			r.Recorder.Eventf(p.obj, nil, "Normal", "InvitesRevoked", "Revoke", "Revoked %d pending invites: %s", len(revoked), maskList(revoked))
		}
	}()
	for _, s := range plan.Revoke {
		if err := r.gate(p); err != nil {
			return err
		}
		err := p.h.Client.Revoke(ctx, spec.Site, s.InviteID)
		if err != nil && provider.Classify(err) != provider.KindNotFound {
			return r.callFailed(ctx, p, "revoke", err)
		}
		if err == nil {
			revoked = append(revoked, s.Email)
		}
		dropEntries(p.st, []string{s.Email})
	}
	return nil
}

// observeInto asks the provider about the site and applies what it shows to the sent entries.
func (r *SiteInvitationReconciler) observeInto(ctx context.Context, p *pass, lookup []string) error {
	if err := r.gate(p); err != nil {
		return err
	}
	obs, err := p.h.Client.Observe(ctx, p.obj.Spec.Site, lookup)
	if err != nil {
		return r.callFailed(ctx, p, "observe", err)
	}
	refresh(p.st, observations(obs), p.h.Client.Capabilities().ListsPending)
	r.refreshed.mark(client.ObjectKeyFromObject(p.obj).String(), r.now())
	return nil
}

// refreshPending checks, once per resync period, where pending invites stand (accepted, lapsed,
// withdrawn) and learns WordPress.com invite keys; then it acts on a resend request.
func (r *SiteInvitationReconciler) refreshPending(ctx context.Context, p *pass) error {
	var pending []string
	for _, s := range p.st.Sent {
		if s.State == invv1.InvitationPending || s.InviteID == "" && s.State != invv1.InvitationAccepted {
			pending = append(pending, s.Email)
		}
	}
	key := client.ObjectKeyFromObject(p.obj).String()
	if len(pending) > 0 {
		// Due a little before the (jittered) resync, so the resync's own reconcile does the look.
		period := r.ResyncPeriod * 8 / 10
		if due := r.refreshed.next(key, period); r.now().Before(due) {
			p.wakeAt(due)
		} else if wake := p.wake; r.observeInto(ctx, p, pending) != nil {
			if p.cause.Stalled || p.cause.Reason != ReasonRetrying {
				return errStop
			}
			// A routine look that failed for a passing reason (5xx, 429, timeout) changes nothing that was
			// invited: the object keeps its conditions and looks again at the next resync, instead of
			// flapping out of Ready with every provider hiccup.
			r.Recorder.Eventf(p.obj, nil, "Warning", ReasonRefreshFailed, "Refresh",
				"could not check %d pending invites, trying again at the next resync: %s", len(pending), p.cause.Message)
			p.cause, p.wake = conditionState{}, wake
			r.refreshed.mark(key, r.now())
			p.wakeAt(r.now().Add(period))
			return nil
		}
	}
	return r.resendOnRequest(ctx, p)
}

// resendOnRequest resends every pending or lapsed invite once per new resend token. The token is recorded
// before the first resend: a crash in between resends too few (visible), never twice.
func (r *SiteInvitationReconciler) resendOnRequest(ctx context.Context, p *pass) error {
	token := p.obj.Annotations[invv1.ResendAnnotation]
	if token == "" || token == p.st.LastHandledResend {
		return nil
	}
	var targets []invv1.SentInvitation
	for _, s := range p.st.Sent {
		if (s.State == invv1.InvitationPending || s.State == invv1.InvitationExpired) && s.InviteID != "" && desiredSet(&p.obj.Spec)[s.Email] {
			targets = append(targets, s)
		}
	}
	p.st.LastHandledResend = token
	if err := r.writeStatus(ctx, p, r.assessWith(p)); err != nil {
		if apierrors.IsConflict(err) {
			p.wakeAt(r.now().Add(time.Second))
			return errStop
		}
		return err
	}
	var done, failed []string
	language := ""
	if p.obj.Spec.Wix != nil {
		language = p.obj.Spec.Wix.DefaultEmailLanguage
	}
	for _, s := range targets {
		if err := r.gate(p); err != nil {
			break
		}
		resent, err := p.h.Client.Resend(ctx, provider.ResendRequest{Site: p.obj.Spec.Site, InviteID: s.InviteID, Email: s.Email, Roles: s.Roles, Language: language})
		if err != nil {
			failed = append(failed, s.Email)
			continue
		}
		done = append(done, s.Email)
		for i := range p.st.Sent {
			if p.st.Sent[i].Email == s.Email {
				p.st.Sent[i].State = invv1.InvitationPending
				p.st.Sent[i].InviteID = cmp.Or(resent.InviteID, p.st.Sent[i].InviteID)
			}
		}
	}
	if len(done) > 0 {
		r.Recorder.Eventf(p.obj, nil, "Normal", "InvitesResent", "Resend", "Resent %d invites: %s", len(done), maskList(done))
	}
	if len(failed) > 0 {
		r.Recorder.Eventf(p.obj, nil, "Warning", "ResendFailed", "Resend",
			"%d invites were not resent (%s); set a new %s token to try again", len(failed), maskList(failed), invv1.ResendAnnotation)
	}
	return nil
}

// refreshTimes remembers when each object last looked at its provider, so pending invites are checked
// once per resync period however often the object is reconciled. Lost on restart, which costs one look.
type refreshTimes struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (t *refreshTimes) mark(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]time.Time{}
	}
	t.m[key] = now
}

// next returns when key is due for another look (zero when never looked).
func (t *refreshTimes) next(key string, period time.Duration) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	last, ok := t.m[key]
	if !ok {
		return time.Time{}
	}
	return last.Add(period)
}

func (t *refreshTimes) forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}
