package provider

import (
	"context"
	"testing"
	"time"
)

// fakeNow is a settable clock for a Quota.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

// TestBackgroundReadsYieldToSends: a background look is refused while a foreground request waits and
// while another look is under way, and granted otherwise.
func TestBackgroundReadsYieldToSends(t *testing.T) {
	t.Parallel()
	q := NewQuota(60, 1, 0.5)
	done, _, ok := q.StartRead()
	if !ok {
		t.Fatal("an idle quota refuses a look")
	}
	if _, _, ok := q.StartRead(); ok {
		t.Fatal("two looks of one provider at once")
	}
	done()
	if err := q.Wait(context.Background()); err != nil { // takes the only token
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	go func() {
		close(waiting)
		_ = q.Wait(context.Background()) // a send waits about a second for the next token
	}()
	<-waiting
	deadline := time.Now().Add(time.Second)
	for {
		q.mu.Lock()
		n := q.waiting
		q.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, retryAt, ok := q.StartRead(); ok || retryAt.IsZero() {
		t.Fatalf("a look was granted while a send waits (retry at %v)", retryAt)
	}
}

// TestReadShareBoundsBackgroundReads: background requests draw on their own share of the rate; once a
// look has taken the share's token, the next look is told to come back when the share refills.
func TestReadShareBoundsBackgroundReads(t *testing.T) {
	t.Parallel()
	q := NewQuota(6000, 1, 0.01) // 100/s, background 1/s, bursts of one
	if got := float64(q.reads.Limit()) * 60; got < 59.9 || got > 60.1 {
		t.Fatalf("read share %.1f/min, want 1%% of 6000", got)
	}
	if err := q.Wait(Background(context.Background())); err != nil {
		t.Fatal(err)
	}
	_, retryAt, ok := q.StartRead()
	if ok {
		t.Fatal("a look was granted with the read share spent")
	}
	if wait := time.Until(retryAt); wait < 500*time.Millisecond || wait > 1100*time.Millisecond {
		t.Fatalf("come back in %v, want about a second (the share refills at 1/s)", wait)
	}
	for range 20 { // foreground requests are not limited by the read share
		if err := q.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestThrottledHoldsAndAdapts: a 429 holds every request until its Retry-After; a second one within a
// minute lowers the rate by a quarter; 429-free minutes bring it back to the configured rate, never above.
func TestThrottledHoldsAndAdapts(t *testing.T) {
	t.Parallel()
	clock := &fakeNow{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	q := NewQuota(120, 5, 0)
	q.now = clock.now
	q.Throttled(0)
	if got := q.Rate(); got != 120 {
		t.Fatalf("a lone 429 lowered the rate to %.1f/min", got)
	}
	clock.t = clock.t.Add(10 * time.Second)
	q.Throttled(30 * time.Second)
	if got := q.Rate(); got < 89.9 || got > 90.1 {
		t.Fatalf("rate after a 429: %.1f/min, want 90", got)
	}
	if _, retryAt, ok := q.StartRead(); ok || !retryAt.Equal(clock.t.Add(30*time.Second)) {
		t.Fatalf("a look during the hold (retry at %v)", retryAt)
	}
	q.Throttled(0) // a second 429 within a second does not lower the rate again
	if got := q.Rate(); got < 89.9 || got > 90.1 {
		t.Fatalf("rate after a second 429 at once: %.1f/min", got)
	}
	clock.t = clock.t.Add(2 * time.Minute)
	q.mu.Lock()
	q.adapt()
	q.mu.Unlock()
	if got := q.Rate(); got < 101.9 || got > 102.1 {
		t.Fatalf("rate after two 429-free minutes: %.1f/min, want 90 + 2 × 6 = 102", got)
	}
	clock.t = clock.t.Add(time.Hour)
	q.mu.Lock()
	q.adapt()
	q.mu.Unlock()
	if got := q.Rate(); got != 120 {
		t.Fatalf("rate after an hour: %.1f/min, want the configured 120", got)
	}
	for range 50 {
		clock.t = clock.t.Add(2 * time.Second)
		q.Throttled(0)
	}
	if got := q.Rate(); got < 1 {
		t.Fatalf("the rate fell below one request a minute: %.3f", got)
	}
}

// TestWaitHonoursTheHold: a request made during a hold waits for its end, including requests that were
// already queued when the 429 came.
func TestWaitHonoursTheHold(t *testing.T) {
	t.Parallel()
	q := NewQuota(6000, 10, 0)
	q.Throttled(300 * time.Millisecond)
	start := time.Now()
	if err := q.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Fatalf("a request went %v into a 300ms hold", waited)
	}
}

// TestBusyQuotaStillSlowsDown: requests every few hundred milliseconds between two 429s (each asks the
// quota to raise its rate) do not stop the second 429 from lowering it again.
func TestBusyQuotaStillSlowsDown(t *testing.T) {
	t.Parallel()
	clock := &fakeNow{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	q := NewQuota(120, 5, 0)
	q.now = clock.now
	q.Throttled(0)
	clock.t = clock.t.Add(2 * time.Second)
	q.Throttled(0) // the second 429 within a minute: the first cut
	for range 10 {
		clock.t = clock.t.Add(200 * time.Millisecond)
		q.mu.Lock()
		q.adapt() // what every Wait does
		q.mu.Unlock()
	}
	q.Throttled(0)
	// 90 after the first cut, 90.2 after two 429-free seconds, three quarters of that after the second.
	if got := q.Rate(); got < 67.5 || got > 67.8 {
		t.Fatalf("rate after two 429s two seconds apart: %.2f/min, want 67.65", got)
	}
}

// TestQueuedRequestWaitsForALaterHold: a request already waiting for its token when a 429 arrives does
// not go out before the 429's Retry-After.
func TestQueuedRequestWaitsForALaterHold(t *testing.T) {
	t.Parallel()
	q := NewQuota(60, 1, 0)
	if err := q.Wait(context.Background()); err != nil { // the only token: the next is a second away
		t.Fatal(err)
	}
	released := make(chan time.Time, 1)
	go func() {
		_ = q.Wait(context.Background())
		released <- time.Now()
	}()
	time.Sleep(100 * time.Millisecond) // the request above is waiting in the bucket now
	holdEnd := time.Now().Add(1500 * time.Millisecond)
	q.Throttled(1500 * time.Millisecond)
	if at := <-released; at.Before(holdEnd) {
		t.Fatalf("a queued request went out %v before the Retry-After", holdEnd.Sub(at))
	}
}

// TestPassesWaitTheirTurnOnAnEmptyBucket: while the bucket has tokens every pass starts; once it is
// empty, only MaxWaitingPasses do, the others are parked once each and woken in order as passes end.
func TestPassesWaitTheirTurnOnAnEmptyBucket(t *testing.T) {
	t.Parallel()
	clock := &fakeNow{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	q := NewQuota(60, 3, 0)
	q.now = clock.now
	dones := make([]func(), 0, 3)
	for i := range 3 { // three tokens: three passes start although the cap is two
		done, ok := q.StartPass(string(rune('a'+i)), nil)
		if !ok {
			t.Fatalf("pass %d refused with tokens in the bucket", i)
		}
		dones = append(dones, done)
	}
	q.mu.Lock()
	q.all.AllowN(clock.t, 3) // the three passes took the tokens
	q.mu.Unlock()
	var woken []string
	for _, k := range []string{"x", "y", "x"} {
		if _, ok := q.StartPass(k, func() { woken = append(woken, k) }); ok {
			t.Fatalf("pass %s started on an empty bucket with %d passes under way", k, MaxWaitingPasses+1)
		}
	}
	dones[0]()
	dones[0]() // done twice counts once
	if len(woken) != 1 || woken[0] != "x" {
		t.Fatalf("woken %v after one pass ended, want [x] (parked first, once)", woken)
	}
	if _, ok := q.StartPass("x", nil); ok {
		t.Fatal("a third pass started on an empty bucket")
	}
	dones[1]()
	if len(woken) != 2 || woken[1] != "y" {
		t.Fatalf("woken %v, want [x y]", woken)
	}
	clock.t = clock.t.Add(2 * time.Second) // tokens again: anyone starts
	if _, ok := q.StartPass("z", nil); !ok {
		t.Fatal("a pass refused with a token in the bucket")
	}
}

// TestALookGoesOutTogether: the read share has the provider's burst, so a look's few requests do not
// each wait for the share to refill.
func TestALookGoesOutTogether(t *testing.T) {
	t.Parallel()
	q := NewQuota(60, 5, 0.2) // reads 12/min: one every 5 s once the burst is spent
	done, _, ok := q.StartRead()
	if !ok {
		t.Fatal("an idle quota refuses a look")
	}
	defer done()
	ctx, cancel := context.WithTimeout(Background(context.Background()), time.Second)
	defer cancel()
	for i := range 3 { // a WordPress.com look: a listing and two member searches
		if err := q.Wait(ctx); err != nil {
			t.Fatalf("request %d of one look waited for the read share to refill: %v", i, err)
		}
	}
}
