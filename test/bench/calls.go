package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/siteops/invitation-operator/internal/sandbox"
)

// readOps are the provider calls that only look (listings, member searches, credential checks); the
// others send, resend or revoke.
var readOps = map[string]bool{sandbox.OpList: true, sandbox.OpContributors: true, sandbox.OpUsers: true, sandbox.OpVerify: true}

// Window is what one fake's call log shows between two moments.
type Window struct {
	Seconds float64 `json:"seconds"`
	// Admitted counts the requests the fake's rate limit let through (every request when it has none).
	Admitted  int            `json:"admitted"`
	PerMinute float64        `json:"admittedPerMinute"`
	ByOp      map[string]int `json:"admittedByOp"`
	// Reads and Writes split Admitted into looks and calls that send, resend or revoke.
	Reads          int     `json:"reads"`
	ReadsPerMinute float64 `json:"readsPerMinute"`
	Writes         int     `json:"writes"`
	// Refused counts the 429s of the fake's own limit, in all and per minute of the window.
	Refused          int   `json:"refused429"`
	RefusedPerMinute []int `json:"refused429PerMinute"`
	// Early counts requests that arrived while their client was under a Retry-After it had been given
	// (after the 429 was answered, before its Retry-After passed); EarlyMaxSeconds is how early the worst
	// one was. Counted over the window.
	Early           int     `json:"earlyRequests"`
	EarlyMaxSeconds float64 `json:"earliestSecondsBeforeRetryAfter"`
}

// window summarises log between from and to.
func window(log []sandbox.Call, from, to time.Time) Window {
	w := Window{Seconds: to.Sub(from).Seconds(), ByOp: map[string]int{}}
	minutes := int(to.Sub(from) / time.Minute)
	if to.Sub(from)%time.Minute != 0 {
		minutes++
	}
	w.RefusedPerMinute = make([]int, max(minutes, 1))
	holds := map[string][]sandbox.Call{} // every refusal so far, per client
	for _, c := range log {
		inside := !c.At.Before(from) && c.At.Before(to)
		live := holds[c.Client][:0] // the log is in order of arrival: a hold that has passed stays passed
		early := 0.0
		for _, f := range holds[c.Client] {
			until := f.AnsweredAt.Add(time.Duration(f.RetryAfter) * time.Second)
			if !until.After(c.At) {
				continue
			}
			live = append(live, f)
			if c.At.After(f.AnsweredAt) {
				early = max(early, until.Sub(c.At).Seconds())
			}
		}
		holds[c.Client] = live
		if inside && early > 0 {
			w.Early++
			w.EarlyMaxSeconds = max(w.EarlyMaxSeconds, early)
		}
		if c.Limited {
			holds[c.Client] = append(holds[c.Client], c)
		}
		if !inside {
			continue
		}
		if c.Limited {
			w.Refused++
			w.RefusedPerMinute[min(int(c.At.Sub(from)/time.Minute), len(w.RefusedPerMinute)-1)]++
			continue
		}
		w.Admitted++
		w.ByOp[c.Op]++
		if readOps[c.Op] {
			w.Reads++
		} else {
			w.Writes++
		}
	}
	if minutes := w.Seconds / 60; minutes > 0 {
		w.PerMinute = float64(w.Admitted) / minutes
		w.ReadsPerMinute = float64(w.Reads) / minutes
	}
	return w
}

// byOp prints a call count map in a stable order.
func byOp(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// sleepUntil waits until t or the run's end; false when the run ended first.
func sleepUntil(done <-chan struct{}, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-done:
		return false
	}
}

// saveCallLog writes one fake's call log beside the results (calls-<name>.json), so that any figure can
// be recomputed from the requests themselves.
func saveCallLog(c config, name string, log []sandbox.Call) error {
	b, err := json.Marshal(log)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(filepath.Dir(c.out), "calls-"+name+".json"), b, 0o644)
}
