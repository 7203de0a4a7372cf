package ghostenv

import (
	"net/smtp"
	"strings"
	"testing"
	"time"
)

// inviteMessage is shaped like the multipart, quoted-printable message nodemailer sends for Ghost.
const inviteMessage = "From: Ghost <ghost@example.com>\r\n" +
	"To: ada@example.com\r\n" +
	"Reply-To: owner@example.com\r\n" +
	"Subject: =?UTF-8?Q?Olive_Owner_has_invited_you_to_join_Contract_Blog?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=\"--b\"\r\n" +
	"\r\n" +
	"----b\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Click: http://127.0.0.1:2368/ghost/signup/MTc1OTI4NzE3ODM3Nnxh=\r\nZGFAZXhhbXBsZS5jb218ab-_cd/\r\n" +
	"----b\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"\r\n" +
	"<a href=\"http://127.0.0.1:2368/ghost/signup/MTc1OTI4NzE3ODM3NnxhZGFAZXhhbXBsZS5jb218ab-_cd/\">Accept</a>\r\n" +
	"----b--\r\n"

func send(t *testing.T, addr string) error {
	t.Helper()
	return smtp.SendMail(addr, nil, "ghost@example.com", []string{"ada@example.com"}, []byte(inviteMessage))
}

func TestSinkRecordsAndParsesInvites(t *testing.T) {
	t.Parallel()
	s, err := StartSink("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	if err := send(t, s.Addr()); err != nil {
		t.Fatal(err)
	}
	got := s.MailsTo("ada@example.com")
	if len(got) != 1 {
		t.Fatalf("mails: %+v", s.Mails())
	}
	m := got[0]
	if m.Subject != "Olive Owner has invited you to join Contract Blog" || m.ReplyTo != "owner@example.com" {
		t.Errorf("headers: %+v", m)
	}
	if m.Token != "MTc1OTI4NzE3ODM3NnxhZGFAZXhhbXBsZS5jb218ab-_cd" || !strings.HasSuffix(m.Link, "/ghost/signup/"+m.Token+"/") {
		t.Errorf("link %q token %q", m.Link, m.Token)
	}
}

func TestSinkStopsAndStartsOnTheSamePort(t *testing.T) {
	t.Parallel()
	s, err := StartSink("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	addr := s.Addr()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := send(t, addr); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("a stopped sink must refuse connections, got %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", s.Addr(), addr)
	}
	if err := send(t, addr); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Mails()); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
}

func TestSinkHoldsDataUntilReleased(t *testing.T) {
	t.Parallel()
	s, err := StartSink("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	s.Hold()
	errc := make(chan error, 1)
	go func() { errc <- send(t, s.Addr()) }()
	select {
	case <-s.Holding():
	case <-time.After(10 * time.Second):
		t.Fatal("the message was never held")
	}
	if n := len(s.Mails()); n != 0 {
		t.Fatalf("a held message is not recorded yet, got %d", n)
	}
	s.Release()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if n := len(s.Mails()); n != 1 {
		t.Fatalf("%d mails after release, want 1", n)
	}
}

func TestSinkDiscardsHeldMessages(t *testing.T) {
	t.Parallel()
	s, err := StartSink("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	s.Hold()
	errc := make(chan error, 1)
	go func() { errc <- send(t, s.Addr()) }()
	select {
	case <-s.Holding():
	case <-time.After(10 * time.Second):
		t.Fatal("the message was never held")
	}
	dropped := s.Discard()
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("the sender must see a refusal, got %v", err)
	}
	if len(dropped) != 1 || dropped[0].Token == "" || len(s.Mails()) != 0 {
		t.Fatalf("discarded %+v, recorded %d", dropped, len(s.Mails()))
	}
}
