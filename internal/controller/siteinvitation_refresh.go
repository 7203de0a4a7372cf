package controller

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
)

// refreshPending checks, once per resync period, where pending invites stand (accepted, lapsed,
// withdrawn) and learns WordPress.com invite keys; expired invites are looked at too (resent at the
// provider, or a resend whose answer was lost), in the same listing. A routine look that fails for a passing reason (5xx,
// 429, a Retry-After hold) changes nothing that was invited: the object keeps its conditions and looks
// again at the next resync, instead of flapping out of Ready with every provider hiccup.
func (r *SiteInvitationReconciler) refreshPending(ctx context.Context, p *pass) (stepResult, error) {
	pending, expired := pendingEmails(p.st)
	if len(pending)+len(expired) == 0 {
		return stepResult{}, nil
	}
	key := client.ObjectKeyFromObject(p.obj).String()
	// Due a little before the (jittered) resync, so the resync's own reconcile does the look.
	period := r.ResyncPeriod * 8 / 10
	if due := r.refreshed.next(key, period); r.now().Before(due) {
		return stepResult{wake: due}, nil
	}
	res := r.observeInto(ctx, p, append(slices.Clip(pending), expired...), pending)
	if !res.halt || res.cond == nil || res.cond.Stalled || res.cond.Reason != invv1.ReasonRetrying {
		return res, nil
	}
	r.Recorder.Eventf(p.obj, nil, "Warning", invv1.EventRefreshFailed, "Refresh",
		"could not check %d pending invites, trying again at the next resync: %s", len(pending), res.cond.Message)
	r.refreshed.mark(key, r.now())
	return stepResult{wake: r.now().Add(period)}, nil
}

// pendingEmails are the sent entries whose state the provider may still change, or whose key is
// unknown, and apart from them the expired ones.
func pendingEmails(st *invv1.SiteInvitationStatus) (pending, expired []string) {
	for _, s := range st.Sent {
		switch {
		case s.State == invv1.InvitationPending || s.InviteID == "" && s.State != invv1.InvitationAccepted && s.State != invv1.InvitationRevoked:
			pending = append(pending, s.Email)
		case s.State == invv1.InvitationExpired:
			expired = append(expired, s.Email)
		}
	}
	return pending, expired
}

// observeInto asks the provider about the site for emails (and about lookup's emails, whose absence
// from a listing must be confirmed) and applies what it shows to those sent entries.
func (r *SiteInvitationReconciler) observeInto(ctx context.Context, p *pass, emails, lookup []string) stepResult {
	if res, ok := r.gate(p.h); !ok {
		return res
	}
	obs, err := r.observe(ctx, p, provider.Query{Emails: emails, Lookup: lookup})
	if err != nil {
		return r.callFailed(ctx, p, callObserve, err)
	}
	ledger.Refresh(p.st, ledger.ByEmail(obs), emails, p.h.Client.Capabilities().ListsPending, r.now())
	r.refreshed.mark(client.ObjectKeyFromObject(p.obj).String(), r.now())
	return stepResult{}
}

// longListing is how many pages a listing runs before the object shows it (ListingInvites).
const longListing = 5

// observe asks the provider about the site for q. A listing that runs long shows on the object while it
// runs, once, so a user watching a stuck-looking object sees why.
func (r *SiteInvitationReconciler) observe(ctx context.Context, p *pass, q provider.Query) ([]provider.Observation, error) {
	shown := false
	listing := provider.WithListingProgress(ctx, func(l provider.Listing) {
		if shown || l.Pages < longListing {
			return
		}
		shown = true
		msg := fmt.Sprintf("%s: %d pages, %d entries so far", l.What, l.Pages, l.Entries)
		if err := r.writeStatus(ctx, p.obj, p.st, conditionState{Reconciling: true, Reason: invv1.ReasonListingInvites, Message: msg}); err != nil {
			logf.FromContext(ctx).V(1).Info("Could not show the listing's progress", "error", err.Error())
		}
	})
	return p.h.Client.Observe(listing, p.obj.Spec.Site, q)
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
