package controller

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/provider"
)

// refreshPending checks, about once per resync period, where pending invites stand (accepted, lapsed,
// withdrawn) and learns WordPress.com invite keys; expired invites are looked at too (resent at the
// provider, or a resend whose answer was lost), in the same listing. It must not eat the quota that sends
// need, so:
//
//   - one look serves every SiteInvitation of the same site that uses the same provider object (never
//     across provider objects: that would share one tenant's credential with another's objects). The
//     look asks for all their emails, is kept for a refresh period, and the others are woken to read it;
//   - it is a background read: it waits for the provider's read share (20% of the rate by default), never
//     while a send is waiting, and when none is free now the object looks again later instead of
//     holding a worker;
//   - old pending invites are looked at less often (refreshPeriod).
//
// A routine look that fails for a passing reason (5xx, 429, a Retry-After hold) changes nothing that was
// invited: the object keeps its conditions and looks again at the next resync, instead of flapping out of
// Ready with every provider hiccup.
func (r *SiteInvitationReconciler) refreshPending(ctx context.Context, p *pass) (stepResult, error) {
	pending, expired := pendingEmails(p.st)
	if len(pending)+len(expired) == 0 {
		return stepResult{}, nil
	}
	key, now := client.ObjectKeyFromObject(p.obj).String(), r.now()
	asked := append(slices.Clip(pending), expired...)
	period := r.refreshPeriod(p.st, now)
	last := r.refreshed.last(key)
	listsPending := p.h.Client.Capabilities().ListsPending

	// Another object of the site looked after we last did, for our emails too: read its look.
	if look := r.looks.get(siteKeyOf(p.obj), now, period); look != nil && look.at.After(last) && look.covers(asked) {
		ledger.Refresh(p.st, look.obs, asked, listsPending, now)
		r.refreshed.mark(key, look.at)
		return stepResult{wake: look.at.Add(period)}, nil
	}
	if due := last.Add(period); !last.IsZero() && now.Before(due) {
		return stepResult{wake: due}, nil
	}
	done, retryAt, ok := r.startLook(p.h)
	if !ok {
		r.Metrics.RefreshesDeferred.WithLabelValues(string(p.h.Type)).Inc()
		// Not now: sends are waiting, or the read share is spent. Look again later, spread out, rather than
		// every second.
		return stepResult{wake: latest(retryAt, now.Add(jittered(period/2, random(r.Rand))))}, nil
	}
	defer done()
	emails, lookup, siblings := r.siteEmails(ctx, p, asked, pending)
	res := r.observeInto(provider.Background(ctx), p, emails, lookup, true)
	if res.halt && res.cond != nil && !res.cond.Stalled && res.cond.Reason == invv1.ReasonRetrying {
		r.Recorder.Eventf(p.obj, nil, "Warning", invv1.EventRefreshFailed, "Refresh",
			"could not check %d pending invites, trying again at the next resync: %s", len(asked), res.cond.Message)
		r.refreshed.mark(key, now)
		return stepResult{wake: now.Add(period)}, nil
	}
	if !res.halt {
		r.wakeSiblings(siblings)
	}
	return res, nil
}

// startLook takes the provider's read share for one background look, and one of the reconciler's look
// slots (at most half the workers look at providers at once, so sends always find a worker).
func (r *SiteInvitationReconciler) startLook(h *Handle) (func(), time.Time, bool) {
	if h.Quota == nil {
		return func() {}, time.Time{}, true
	}
	if !r.lookSlots.tryAcquire() {
		return nil, r.now().Add(time.Second), false
	}
	done, retryAt, ok := h.Quota.StartRead()
	if !ok {
		r.lookSlots.release()
		return nil, retryAt, false
	}
	return func() { done(); r.lookSlots.release() }, time.Time{}, true
}

// refreshPeriod is how long an object waits between looks at its provider: a little less than the resync
// period (so the resync's own reconcile does the look) while any invite is less than a day old; four
// times that while the newest pending one is less than a week old; twelve times after that. An old
// pending invite rarely changes, and Wix and Ghost tell expiries without a look.
func (r *SiteInvitationReconciler) refreshPeriod(st *invv1.SiteInvitationStatus, now time.Time) time.Duration {
	base := r.ResyncPeriod * 8 / 10
	var newest time.Time
	for _, s := range st.Sent {
		if (s.State == invv1.InvitationPending || s.State == invv1.InvitationExpired) && s.SentAt.After(newest) {
			newest = s.SentAt.Time
		}
	}
	switch age := now.Sub(newest); {
	case age < 24*time.Hour:
		return base
	case age < 7*24*time.Hour:
		return 4 * base
	}
	return 12 * base
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

// siteEmails gathers what one look at the object's site should ask for: the object's own emails and
// those of every other SiteInvitation of the same site using the same provider object (from the cache),
// up to the listing's cap. lookup (emails whose absence a listing cannot settle: WordPress.com searches
// its members for each) is the pending ones. It returns the other objects whose emails were included.
func (r *SiteInvitationReconciler) siteEmails(ctx context.Context, p *pass, asked, pending []string) (emails, lookup []string, siblings []client.ObjectKey) {
	emails, lookup = slices.Clone(asked), slices.Clone(pending)
	var list invv1.SiteInvitationList
	if err := r.List(ctx, &list, client.MatchingFields{SiteIndex: siteKeyOf(p.obj)}, client.UnsafeDisableDeepCopy); err != nil {
		logf.FromContext(ctx).V(1).Info("Listing the site's other SiteInvitations failed; looking for this one alone", "error", err.Error())
		return emails, lookup, nil
	}
	for i := range list.Items {
		o := &list.Items[i]
		if o.Name == p.obj.Name && o.Namespace == p.obj.Namespace || !o.DeletionTimestamp.IsZero() || o.Spec.Suspend {
			continue
		}
		theirs, theirsExpired := pendingEmails(&o.Status)
		if len(theirs)+len(theirsExpired) == 0 {
			continue
		}
		if len(emails)+len(theirs)+len(theirsExpired) > provider.MaxListEntries {
			break
		}
		emails = append(append(emails, theirs...), theirsExpired...)
		lookup = append(lookup, theirs...)
		siblings = append(siblings, client.ObjectKeyFromObject(o))
	}
	slices.Sort(emails)
	slices.Sort(lookup)
	return slices.Compact(emails), slices.Compact(lookup), siblings
}

// wakeSiblings queues the other objects of a site that a look covered, so they read it now.
func (r *SiteInvitationReconciler) wakeSiblings(siblings []client.ObjectKey) {
	for _, k := range siblings {
		select {
		case r.siblings <- event.GenericEvent{Object: &invv1.SiteInvitation{ObjectMeta: objectMeta(k)}}:
		default: // the queue is full: the sibling reads the look at its own resync while it is fresh
		}
	}
}

// observeInto asks the provider about the site for emails (and about lookup's emails, whose absence
// from a listing must be confirmed) and applies what it shows to this object's sent entries. With share,
// the look is kept for the site's other objects.
func (r *SiteInvitationReconciler) observeInto(ctx context.Context, p *pass, emails, lookup []string, share bool) stepResult {
	if res, ok := r.gate(p.h); !ok {
		return res
	}
	obs, err := r.observe(ctx, p, provider.Query{Emails: emails, Lookup: lookup})
	if err != nil {
		return r.callFailed(ctx, p, callObserve, err)
	}
	now := r.now()
	byEmail := ledger.ByEmail(obs)
	if share {
		r.looks.put(siteKeyOf(p.obj), &siteLook{at: now, covered: emails, obs: byEmail}, now, r.ResyncPeriod*8/10)
	}
	ledger.Refresh(p.st, byEmail, emails, p.h.Client.Capabilities().ListsPending, now)
	r.refreshed.mark(client.ObjectKeyFromObject(p.obj).String(), now)
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

// refreshTimes remembers when each object last looked at its provider (or read a look of its site), so
// pending invites are checked once per refresh period however often the object is reconciled. Lost on
// restart, which costs one look.
type refreshTimes struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (t *refreshTimes) mark(key string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]time.Time{}
	}
	t.m[key] = at
}

// last returns when key last looked (zero when never).
func (t *refreshTimes) last(key string) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[key]
}

func (t *refreshTimes) forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}

// siteLook is one look at a site through one provider object: what it showed for the emails it asked.
type siteLook struct {
	at      time.Time
	covered []string // sorted
	obs     map[string]provider.Observation
}

// covers reports whether the look asked about every one of emails.
func (l *siteLook) covers(emails []string) bool {
	for _, e := range emails {
		if _, ok := slices.BinarySearch(l.covered, e); !ok {
			return false
		}
	}
	return true
}

// siteLooks keeps each site's last look for one refresh period, so the site's other objects read it
// instead of asking again. Memory is bounded by the looks of one period (the read share bounds those).
type siteLooks struct {
	mu sync.Mutex
	m  map[string]*siteLook
}

func (s *siteLooks) put(site string, l *siteLook, now time.Time, keep time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*siteLook{}
	}
	for k, old := range s.m {
		if now.Sub(old.at) > keep {
			delete(s.m, k)
		}
	}
	s.m[site] = l
}

// get returns the site's look if it is younger than maxAge.
func (s *siteLooks) get(site string, now time.Time, maxAge time.Duration) *siteLook {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.m[site]; l != nil && now.Sub(l.at) <= maxAge {
		return l
	}
	return nil
}

// lookSlots bounds the background looks under way at once.
type lookSlots struct {
	once sync.Once
	c    chan struct{}
	n    int
}

func (l *lookSlots) init() { l.once.Do(func() { l.c = make(chan struct{}, max(l.n, 1)) }) }

func (l *lookSlots) tryAcquire() bool {
	l.init()
	select {
	case l.c <- struct{}{}:
		return true
	default:
		return false
	}
}

func (l *lookSlots) release() { <-l.c }

// siteKeyOf is the value of the site index: the provider object and the site, so a look is shared only
// among the objects that reach the site with the same credential.
func siteKeyOf(obj *invv1.SiteInvitation) string { return indexKeyOf(obj) + "|" + obj.Spec.Site }

func objectMeta(k client.ObjectKey) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: k.Namespace, Name: k.Name}
}

// latest returns the later of two times.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
