// Package ghostenv runs a real, unmodified Ghost server for tests: an SMTP sink on loopback that records
// every invitation email, a Ghost instance laid out as ghost-cli lays one out (started, SIGKILLed and
// restarted by PID on the same database), and the bootstrap that gives a test an owner, an integration's
// Admin API key and the owner's staff access token. hack/ghost/install.sh installs Ghost; make test-ghost
// runs the contract suite (test/ghostcontract) against it. Facts measured with it: docs/providers.md.
package ghostenv

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one message the sink accepted.
type Mail struct {
	From    string
	To      []string
	Subject string
	ReplyTo string
	// Text is the plain-text body (or the HTML one when there is no text part), decoded.
	Text string
	// Link is the invite link found in the body (<site>/ghost/signup/<token>/), Token its token part:
	// what the invited person sends to POST /authentication/invitation/.
	Link  string
	Token string
	At    time.Time
}

// Sink is an SMTP server on loopback that keeps every message. It can be stopped and started again on
// the same port, to play "the mail server is down", and it can hold messages before answering DATA, to
// find what a sender does when it is killed mid-transaction. Safe for concurrent use.
type Sink struct {
	addr string

	mu      sync.Mutex
	srv     *smtp.Server
	l       net.Listener
	mails   []Mail
	hold    *holdGate     // non-nil: DATA waits until it opens
	dropped []Mail        // held messages Discard refused
	holding chan struct{} // receives one value each time a message is being held
	done    chan struct{} // closed when the running server stops serving
}

// StartSink listens on addr ("127.0.0.1:0" picks a port) and serves until Stop.
func StartSink(addr string) (*Sink, error) {
	s := &Sink{addr: addr, holding: make(chan struct{}, 16)}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Addr is host:port of the sink, the same across Stop and Start.
func (s *Sink) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Start serves again on the sink's address after Stop.
func (s *Sink) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("ghostenv: the SMTP sink is already running")
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("ghostenv: SMTP sink: %w", err)
	}
	s.addr = l.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{sink: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 60*time.Second, 60*time.Second
	srv.MaxMessageBytes = 4 << 20
	srv.ErrorLog = discardLogger{}
	s.srv, s.l, s.done = srv, l, make(chan struct{})
	go func(done chan struct{}) {
		_ = srv.Serve(l)
		close(done)
	}(s.done)
	return nil
}

// Stop closes the listener and every connection; a sender then gets "connection refused".
func (s *Sink) Stop() error {
	s.mu.Lock()
	srv, l, done := s.srv, s.l, s.done
	s.srv, s.l = nil, nil
	if s.hold != nil { // release held sessions so they can end
		close(s.hold.open)
		s.hold = nil
	}
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	_ = l.Close() // Serve may not have registered it with srv yet
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		return errors.New("ghostenv: the SMTP sink did not stop within 5s")
	}
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// holdGate is one Hold: DATA waits on open; discard says how the wait ends.
type holdGate struct {
	open    chan struct{}
	discard bool
}

// Hold makes every later DATA wait before it is answered (and before the message is recorded) until
// Release or Discard. Holding reports each message as it starts waiting.
func (s *Sink) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold == nil {
		s.hold = &holdGate{open: make(chan struct{})}
	}
}

// Release accepts every held message: each is recorded, even when its sender went away meanwhile (as a
// real mail server may deliver a message whose final dot arrived, though its 250 reached nobody).
func (s *Sink) Release() { s.open(false) }

// Discard refuses every held message (451, not recorded: the mail server never accepted it) and returns
// them, so a test can still read what the sender had put in them.
func (s *Sink) Discard() []Mail {
	s.open(true)
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.dropped)
		s.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.dropped
	s.dropped = nil
	return out
}

func (s *Sink) open(discard bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		s.hold.discard = discard
		close(s.hold.open)
		s.hold = nil
	}
}

// Holding receives a value each time a message starts waiting in DATA.
func (s *Sink) Holding() <-chan struct{} { return s.holding }

// Mails returns every message accepted so far, oldest first.
func (s *Sink) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// MailsTo returns the messages to one address, oldest first.
func (s *Sink) MailsTo(addr string) []Mail {
	var out []Mail
	for _, m := range s.Mails() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

type session struct {
	sink *Sink
	from string
	to   []string
}

func (se *session) Reset()                                      { se.from, se.to = "", nil }
func (se *session) Logout() error                               { return nil }
func (se *session) AuthPlain(_, _ string) error                 { return nil }
func (se *session) Mail(from string, _ *smtp.MailOptions) error { se.from = from; return nil }
func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

// Data reads the whole message, waits while the sink holds, then records it (Release) or refuses it
// (Discard).
func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.sink.mu.Lock()
	hold := se.sink.hold
	se.sink.mu.Unlock()
	m := parseMail(raw)
	m.From, m.To, m.At = se.from, append([]string(nil), se.to...), time.Now()
	if hold != nil {
		select {
		case se.sink.holding <- struct{}{}:
		default:
		}
		<-hold.open
		se.sink.mu.Lock()
		discard := hold.discard
		se.sink.mu.Unlock()
		if discard {
			se.sink.mu.Lock()
			se.sink.dropped = append(se.sink.dropped, m)
			se.sink.mu.Unlock()
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "held message discarded"}
		}
	}
	se.sink.mu.Lock()
	se.sink.mails = append(se.sink.mails, m)
	se.sink.mu.Unlock()
	return nil
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}
