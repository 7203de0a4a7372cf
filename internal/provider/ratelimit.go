package provider

import (
	"sync"

	"golang.org/x/time/rate"
)

// Limiters holds one token bucket per provider object, so every SiteInvitation that uses a provider (and
// every worker reconciling them) shares that provider's rate limit. Safe for concurrent use.
type Limiters struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// NewLimiters returns an empty set of limiters.
func NewLimiters() *Limiters { return &Limiters{m: map[string]*rate.Limiter{}} }

// Get returns the limiter for key (a provider object's identity), created on first use and re-tuned in
// place when the provider's rate limit changes, so waiters already queued keep their place.
func (l *Limiters) Get(key string, perMinute, burst int) *rate.Limiter {
	limit := rate.Limit(float64(perMinute) / 60)
	burst = max(burst, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.m[key]
	if !ok {
		lim = rate.NewLimiter(limit, burst)
		l.m[key] = lim
		return lim
	}
	if lim.Limit() != limit {
		lim.SetLimit(limit)
	}
	if lim.Burst() != burst {
		lim.SetBurst(burst)
	}
	return lim
}

// Forget drops the limiter of a deleted provider object.
func (l *Limiters) Forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}
