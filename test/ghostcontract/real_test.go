package ghostcontract

import (
	"testing"
	"time"

	"github.com/siteops/invitation-operator/test/ghostenv"
)

type realTarget struct {
	env *ghostenv.Env
}

// newRealTarget starts a real Ghost and SMTP sink (skipping without GHOST_INSTALL); both stop when t ends.
func newRealTarget(t *testing.T) *realTarget {
	env := ghostenv.StartT(t)
	t.Logf("real Ghost %s (pid %d): cold start %s", env.Site.URL, env.Ghost.PID(), env.ColdStart.Round(100*time.Millisecond))
	return &realTarget{env: env}
}

func (r *realTarget) SiteURL() string        { return r.env.Site.URL }
func (r *realTarget) StaffKey() string       { return r.env.Site.StaffKey }
func (r *realTarget) IntegrationKey() string { return r.env.Site.IntegrationKey }

func (r *realTarget) Mails(_ *testing.T, addr string) []Mail {
	mails := r.env.Sink.MailsTo(addr)
	out := make([]Mail, 0, len(mails))
	for _, m := range mails {
		out = append(out, Mail{To: addr, Subject: m.Subject, Token: m.Token})
	}
	return out
}

func (r *realTarget) SetMailDown(t *testing.T, down bool) {
	t.Helper()
	var err error
	if down {
		err = r.env.Sink.Stop()
	} else {
		err = r.env.Sink.Start()
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (r *realTarget) InterruptBeforeMail(t *testing.T, send func()) []Mail {
	t.Helper()
	var out []Mail
	r.killWhileHeld(t, send, func() {
		for _, m := range r.env.Sink.Discard() {
			for _, to := range m.To {
				out = append(out, Mail{To: to, Subject: m.Subject, Token: m.Token})
			}
		}
	})
	return out
}

func (r *realTarget) InterruptAfterMail(t *testing.T, send func()) {
	t.Helper()
	r.killWhileHeld(t, send, r.env.Sink.Release)
}

// killWhileHeld holds the sink, runs send until Ghost is in its SMTP transaction, SIGKILLs Ghost, ends
// the held transaction with settle, and starts Ghost again on the same database.
func (r *realTarget) killWhileHeld(t *testing.T, send, settle func()) {
	t.Helper()
	r.env.Sink.Hold()
	done := make(chan struct{})
	go func() {
		defer close(done)
		send()
	}()
	select {
	case <-r.env.Sink.Holding():
	case <-time.After(2 * time.Minute):
		t.Fatal("Ghost never reached its SMTP transaction")
	}
	if err := r.env.Ghost.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	settle()
	start := time.Now()
	if err := r.env.Ghost.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Ghost restarted on the same database in %s", time.Since(start).Round(100*time.Millisecond))
}
