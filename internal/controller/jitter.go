package controller

import (
	"math/rand/v2"
	"time"
)

// random returns f's jitter in [0,1), or math/rand's when f is nil (tests inject a fixed one).
func random(f func() float64) float64 {
	if f != nil {
		return f()
	}
	return rand.Float64() //nolint:gosec // G404: jitter spreads load over time; it guards nothing
}

// jittered spreads a periodic look by ±10%, so objects created together do not come back together.
func jittered(period time.Duration, rnd float64) time.Duration {
	return time.Duration(float64(period) * (0.9 + 0.2*rnd))
}
