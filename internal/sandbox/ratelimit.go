package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit is a provider's own quota, enforced by a fake the way the real API's gateway does: a token
// bucket per credential, and a 429 with Retry-After beyond it. Real providers hold such limits whatever the
// client is configured with, so this is what lets a run see the operator overrun (or honour) a quota.
type RateLimit struct {
	// RequestsPerMinute is the sustained rate one credential may call at; 0 means no limit.
	RequestsPerMinute int
	// Burst is how many requests one credential may make at once after a quiet spell; 0 means 1.
	Burst int
}

// quota is the token buckets of one fake, one per credential. Safe for concurrent use.
type quota struct {
	limit   RateLimit
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newQuota(l RateLimit) *quota {
	if l.RequestsPerMinute <= 0 {
		return nil
	}
	l.Burst = max(l.Burst, 1)
	return &quota{limit: l, buckets: map[string]*bucket{}}
}

// take admits one request of client at now, or refuses it and says how long until one would be admitted.
// A refused request costs nothing: only admitted ones spend a token, as at the real services.
func (q *quota) take(client string, now time.Time) (bool, time.Duration) {
	if q == nil {
		return true, 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	perSecond := float64(q.limit.RequestsPerMinute) / 60
	b, ok := q.buckets[client]
	if !ok {
		b = &bucket{tokens: float64(q.limit.Burst), last: now}
		q.buckets[client] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(float64(q.limit.Burst), b.tokens+elapsed*perSecond)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / perSecond * float64(time.Second))
}

// retryAfterSeconds is the Retry-After header for a wait: whole seconds, rounded up, so that a client
// that waits what it is told is admitted.
func retryAfterSeconds(wait time.Duration) int {
	return max(int(math.Ceil(wait.Seconds())), 1)
}

// clientOf names the credential a request presented without repeating it: a short hash of its
// Authorization header.
func clientOf(r *http.Request) string {
	sum := sha256.Sum256([]byte(r.Header.Get("Authorization")))
	return hex.EncodeToString(sum[:4])
}

// arrive records one request of op as it arrives and asks the fake's rate limit whether it is admitted.
// A refused request is answered by the caller (in the provider's own error shape) with the Retry-After
// returned here, and then marked answered.
func (s *store) arrive(op string, r *http.Request) (call int, admitted bool, retryAfter int) {
	client := clientOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lapse()
	now := s.now()
	s.calls[op]++
	ok, wait := s.quota.take(client, now)
	c := Call{Op: op, At: now, Client: client}
	if !ok {
		retryAfter = retryAfterSeconds(wait)
		c.Limited, c.RetryAfter = true, retryAfter
		s.rateLimited++
	}
	call = -1
	if len(s.callLog) < maxCallLog {
		call = len(s.callLog)
		s.callLog = append(s.callLog, c)
	}
	return call, ok, retryAfter
}

// refused marks call (an index arrive returned) as answered now, with its 429.
func (s *store) refused(call int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if call >= 0 && call < len(s.callLog) {
		s.callLog[call].AnsweredAt = s.now()
	}
}

// limitHeader sets Retry-After on a 429 of the fake's rate limit.
func limitHeader(rw http.ResponseWriter, seconds int) {
	rw.Header().Set("Retry-After", strconv.Itoa(seconds))
}
