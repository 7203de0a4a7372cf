package sandbox

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Ops the fakes name requests by, for faults and call counts.
const (
	OpInvite       = "invite"
	OpList         = "list"
	OpUsers        = "users"
	OpContributors = "contributors"
	OpRevoke       = "revoke"
	OpResend       = "resend"
	OpVerify       = "verify"
)

// Fault is one misbehaviour a fake shows for matching requests.
type Fault struct {
	// Op limits the fault to one operation (OpInvite, ...); empty matches every request.
	Op string
	// Status, when non-zero, answers with this status (500, 503, 429, ...) and applies nothing.
	Status int
	// RetryAfter is sent as the Retry-After header with Status.
	RetryAfter string
	// Latency delays the answer (or the drop).
	Latency time.Duration
	// Applied, with Status, applies the request first and answers Status anyway: a 500 to a send whose
	// invite was stored, which only a look at the provider can tell from one that applied nothing.
	Applied bool
	// EchoAuthorization, with Status, puts the request's Authorization header into the error message.
	EchoAuthorization bool
	// EndlessPages makes a listing (WordPress.com) answer full pages of other people's invites forever.
	EndlessPages bool
	// AcceptThenDrop applies the request (the invite is stored and its email counted), then closes the
	// connection without answering: the case that proves idempotency.
	AcceptThenDrop bool
	// MailDown stores a Ghost invite without emailing it and answers 500 EmailError, as Ghost does when
	// its mail server refuses; nothing is delivered.
	MailDown bool
	// DieBeforeMail stores a Ghost invite and drops the connection before the mail step: Ghost killed
	// between its insert and its SMTP transaction. The invite stays "pending"; nothing is delivered.
	DieBeforeMail bool
	// DieAfterMail emails a Ghost invite and drops the connection before the invite is marked sent: Ghost
	// killed while its mail server held a message it then delivered anyway. The email is in the ledger,
	// the invite stays "pending", and its link does not accept.
	DieAfterMail bool
	// InviteeErrors fails these emails inside an otherwise successful invite request, with this code
	// (WordPress.com) or by listing them in failedEmails (Wix).
	InviteeErrors map[string]string
	// Times is how many matching requests the fault applies to; 0 means every one until cleared.
	Times int
	// Probability applies the fault to a matching request with this chance; 0 means always.
	Probability float64
}

// Faults is the fault schedule of one fake. Safe for concurrent use.
type Faults struct {
	mu     sync.Mutex
	list   []*Fault
	rng    *rand.Rand
	random *RandomFaults
}

// RandomFaults injects a fault into a fraction of requests, for chaos runs and `cmd/sandbox` flags.
type RandomFaults struct {
	// Rate is the chance a request gets a fault, 0..1.
	Rate float64
	// Kinds to choose from: "5xx", "429", "drop" (accept-then-drop, for invites only).
	Kinds []string
	// RetryAfter is the Retry-After of injected 429s, in seconds.
	RetryAfter int
	// Seed makes the choices reproducible: the same seed and the same order of requests give the same faults.
	Seed uint64
}

// NewFaults returns an empty schedule whose random choices follow seed.
func NewFaults(seed uint64) *Faults {
	return &Faults{rng: newRand(seed)}
}

// newRand is seeded on purpose: a chaos run's faults replay from its printed seed.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) } //nolint:gosec // G404: reproducible faults, not secrets

// Add schedules f.
func (fs *Faults) Add(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list = append(fs.list, &f)
}

// SetRandom injects faults at random into every later request, choosing from r.Seed on; nil stops it.
func (fs *Faults) SetRandom(r *RandomFaults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.random = r
	if r != nil {
		fs.rng = newRand(r.Seed)
	}
}

// Clear removes every scheduled and random fault.
func (fs *Faults) Clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list, fs.random = nil, nil
}

// next returns the fault for one request of op, or nil, and consumes one of its Times.
func (fs *Faults) next(op string) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.list {
		if f.Op != "" && f.Op != op {
			continue
		}
		if f.Probability > 0 && fs.rng.Float64() >= f.Probability {
			continue
		}
		out := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				fs.list = append(fs.list[:i:i], fs.list[i+1:]...)
			}
		}
		return &out
	}
	if r := fs.random; r != nil && len(r.Kinds) > 0 && fs.rng.Float64() < r.Rate {
		switch kind := r.Kinds[fs.rng.IntN(len(r.Kinds))]; {
		case kind == "429":
			return &Fault{Status: http.StatusTooManyRequests, RetryAfter: strconv.Itoa(r.RetryAfter)}
		case kind == "drop" && op == OpInvite:
			return &Fault{AcceptThenDrop: true}
		case kind == "5xx":
			return &Fault{Status: []int{500, 502, 503}[fs.rng.IntN(3)]}
		}
	}
	return nil
}

// delay waits for f's latency or the request's end.
func (f *Fault) delay(r *http.Request) {
	if f == nil || f.Latency <= 0 {
		return
	}
	t := time.NewTimer(f.Latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// drop closes the client's connection without an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection
}

type faultKey struct{}

func withFault(r *http.Request, f *Fault) *http.Request {
	if f == nil {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), faultKey{}, f))
}

func faultOf(r *http.Request) *Fault {
	f, _ := r.Context().Value(faultKey{}).(*Fault)
	return f
}
