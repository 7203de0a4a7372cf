package provider

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Quota is one provider object's share of the provider's request quota, shared by every SiteInvitation
// that uses it and every worker. It is the configured token bucket (spec.rateLimit) plus three rules:
//
//   - Background reads (the periodic look at pending invites, the credential check) may use at most a
//     share of the rate (DefaultReadShare), and never while a foreground call (a send, a settle, a
//     revoke) is waiting: sends stay ahead of refreshes. A caller asks StartRead before a background
//     look and is told when to come back instead of holding a worker.
//   - A 429 holds every call until its Retry-After, including calls already waiting in the bucket.
//   - While the bucket is empty, at most MaxWaitingPasses passes (a SiteInvitation's sends, revocations
//     and resends in one reconcile) wait on it at once; others are turned away (StartPass) and woken when
//     one ends. A pass holds a worker while it waits for its tokens, so without this the objects of the
//     busiest provider would take every worker and leave another provider's quota unused.
//   - A 429 that follows another within a minute (but not within the same second: the requests of one
//     burst answer 429 together) lowers the rate by a quarter, and 429-free time raises it back towards
//     the configured rate (by a twentieth of it per minute), so a provider whose real limit is below the
//     configured one is used close to that real limit with few 429s. An isolated 429 only holds: when
//     the configured rate is the provider's own, the two buckets' clocks differ and the provider refuses
//     a request now and then; slowing down for it would leave a quarter of the quota unused for minutes.
//
// Safe for concurrent use. Every request waits on it through Wait (it is the clients' Waiter).
type Quota struct {
	mu         sync.Mutex
	all        *rate.Limiter // the current rate, at most the configured one
	reads      *rate.Limiter // background reads: readShare of the configured rate
	configured rate.Limit
	readShare  float64
	burst      int
	hold       time.Time // no request before this (a 429's Retry-After)
	last429    time.Time // the last 429
	lastCut    time.Time // the last 429 that lowered all's rate
	lastRaise  time.Time // the last time adapt raised all's rate (or, after a cut, the cut)
	waiting    int       // foreground requests waiting for a token
	reading    bool      // a background look is under way
	passes     int       // passes under way (StartPass)
	parked     []parked  // passes turned away, oldest first, one per key
	now        func() time.Time
}

// parked is a pass turned away by StartPass: its object's key and what wakes it.
type parked struct {
	key  string
	wake func()
}

// MaxWaitingPasses is how many passes may wait on an empty bucket at once: two keep it busy (one sends
// while the other writes its status), more only hold workers that another provider could use.
const MaxWaitingPasses = 2

// DefaultReadShare is the share of a provider's rate that background reads may use.
const DefaultReadShare = 0.2

// NewQuota returns the quota of perMinute requests with burst, of which readShare (0: DefaultReadShare)
// may go to background reads.
func NewQuota(perMinute, burst int, readShare float64) *Quota {
	q := &Quota{now: time.Now}
	q.configure(perMinute, burst, readShare)
	return q
}

func (q *Quota) configure(perMinute, burst int, readShare float64) {
	if readShare <= 0 || readShare > 1 {
		readShare = DefaultReadShare
	}
	limit, burst := rate.Limit(float64(perMinute)/60), max(burst, 1)
	if q.all != nil && limit == q.configured && burst == q.burst && readShare == q.readShare {
		return
	}
	if q.all == nil {
		q.all = rate.NewLimiter(limit, burst)
		// The read share has the same burst, so one look's few requests (a listing, a member search per
		// email) go out together; over time reads stay within the share.
		q.reads = rate.NewLimiter(limit*rate.Limit(readShare), burst)
	} else {
		// Re-tuned in place, so requests already waiting keep their place; the adaptive rate starts again
		// from the new configuration.
		q.all.SetLimit(limit)
		q.all.SetBurst(burst)
		q.reads.SetLimit(limit * rate.Limit(readShare))
		q.reads.SetBurst(burst)
	}
	q.configured, q.burst, q.readShare = limit, burst, readShare
}

// backgroundKey marks a context whose requests are background reads.
type backgroundKey struct{}

// Background marks ctx's requests as background reads: they wait for the read share, after foreground
// requests.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

func isBackground(ctx context.Context) bool { b, _ := ctx.Value(backgroundKey{}).(bool); return b }

// Wait blocks until one request may be made: after any hold, within the current rate, and for a
// background request within the read share too.
func (q *Quota) Wait(ctx context.Context) error {
	background := isBackground(ctx)
	q.mu.Lock()
	q.adapt()
	if !background {
		q.waiting++
		defer func() { q.mu.Lock(); q.waiting--; q.mu.Unlock() }()
	}
	q.mu.Unlock()
	for {
		if err := q.waitHold(ctx); err != nil {
			return err
		}
		if background {
			if err := q.reads.Wait(ctx); err != nil {
				return err
			}
		}
		if err := q.all.Wait(ctx); err != nil {
			return err
		}
		// A 429 that came while this request waited for its token holds it too: it queues again after
		// the hold rather than going out before the provider's Retry-After.
		q.mu.Lock()
		held := q.now().Before(q.hold)
		q.mu.Unlock()
		if !held {
			return nil
		}
	}
}

// waitHold blocks until no 429's Retry-After is in force.
func (q *Quota) waitHold(ctx context.Context) error {
	for {
		q.mu.Lock()
		hold := q.hold.Sub(q.now())
		q.mu.Unlock()
		if hold <= 0 {
			return nil
		}
		t := time.NewTimer(hold)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// StartRead asks for a background look now. It is granted when no hold is in force, no foreground request
// is waiting, no other background look of this provider is under way, and the read share has a token;
// then done must be called when the look ends. Otherwise it says when to ask again.
func (q *Quota) StartRead() (done func(), retryAt time.Time, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	switch {
	case now.Before(q.hold):
		return nil, q.hold, false
	case q.waiting > 0 || q.reading:
		return nil, now.Add(time.Second), false
	}
	// Only asks whether the read share has a token: the look's own requests take it.
	r := q.reads.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	r.CancelAt(now)
	if delay > 0 {
		return nil, now.Add(max(delay, time.Second)), false
	}
	q.reading = true
	return func() { q.mu.Lock(); q.reading = false; q.mu.Unlock() }, time.Time{}, true
}

// StartPass asks to start a pass that makes foreground calls, for the object key. It is granted while the
// bucket has a token or fewer than MaxWaitingPasses passes are under way; then done must be called when
// the pass ends. Otherwise the pass is parked, and wake (which must not block) is called when its turn
// comes: the oldest parked pass is woken each time a pass ends.
func (q *Quota) StartPass(key string, wake func()) (done func(), ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.passes >= MaxWaitingPasses && q.all.TokensAt(q.now()) < 1 {
		if !slices.ContainsFunc(q.parked, func(p parked) bool { return p.key == key }) {
			q.parked = append(q.parked, parked{key, wake})
		}
		return nil, false
	}
	q.passes++
	var once sync.Once
	return func() { once.Do(q.endPass) }, true
}

// endPass ends a pass and wakes the oldest parked one.
func (q *Quota) endPass() {
	q.mu.Lock()
	q.passes--
	var next *parked
	if len(q.parked) > 0 {
		next = &q.parked[0]
		q.parked = q.parked[1:]
	}
	q.mu.Unlock()
	if next != nil && next.wake != nil {
		next.wake()
	}
}

// Throttled records a 429: every request waits for retryAfter (when the provider gave one); when another
// 429 came less than a minute before, the rate goes down by a quarter, at most once per second and never
// below one request per minute.
func (q *Quota) Throttled(retryAfter time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	if until := now.Add(retryAfter); retryAfter > 0 && until.After(q.hold) {
		q.hold = until
	}
	isolated := now.Sub(q.last429) > time.Minute
	q.last429 = now
	if isolated || now.Sub(q.lastCut) < time.Second {
		return // a lone 429 only holds; the requests of one burst answer 429 together: one cut for all
	}
	q.adapt() // what the 429-free time since the last change earned, then the cut
	q.all.SetLimitAt(now, max(q.all.Limit()*3/4, rate.Limit(1.0/60)))
	q.lastCut, q.lastRaise = now, now
}

// adapt raises the rate back towards the configured one after 429-free time. Caller holds mu.
func (q *Quota) adapt() {
	cur := q.all.Limit()
	if cur >= q.configured {
		return
	}
	now := q.now()
	step := q.configured * rate.Limit(now.Sub(q.lastRaise).Minutes()/20)
	if step <= 0 {
		return
	}
	q.all.SetLimitAt(now, min(q.configured, cur+step))
	q.lastRaise = now
}

// Rate returns the current rate in requests per minute (below the configured one after 429s).
func (q *Quota) Rate() float64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return float64(q.all.Limit()) * 60
}

// Limiters holds one Quota per provider object, so every SiteInvitation that uses a provider (and every
// worker reconciling them) shares that provider's rate limit. Safe for concurrent use.
type Limiters struct {
	mu sync.Mutex
	m  map[string]*Quota
	// ReadShare is the share of each provider's rate background reads may use (0: DefaultReadShare).
	ReadShare float64
}

// NewLimiters returns an empty set of quotas whose background reads may use readShare of each rate.
func NewLimiters(readShare float64) *Limiters {
	return &Limiters{m: map[string]*Quota{}, ReadShare: readShare}
}

// Get returns the quota for key (a provider object's identity), created on first use and re-tuned in
// place when the provider's rate limit changes.
func (l *Limiters) Get(key string, perMinute, burst int) *Quota {
	l.mu.Lock()
	defer l.mu.Unlock()
	q, ok := l.m[key]
	if !ok {
		q = NewQuota(perMinute, burst, l.ReadShare)
		l.m[key] = q
		return q
	}
	q.mu.Lock()
	q.configure(perMinute, burst, l.ReadShare)
	q.mu.Unlock()
	return q
}

// Forget drops the quota of a deleted provider object.
func (l *Limiters) Forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}
