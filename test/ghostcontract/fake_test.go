package ghostcontract

import (
	"net/http/httptest"
	"testing"

	"github.com/siteops/invitation-operator/internal/sandbox"
)

// Keys of the fake; sandbox values shaped like Ghost keys, no real credentials.
const (
	fakeStaffKey       = "5a4db0c5a4db0c5a4db0c5a1:5a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c55a4db0c5"
	fakeIntegrationKey = "1a7e00001a7e00001a7e0001:1a7e00001a7e00001a7e00001a7e00001a7e00001a7e00001a7e00001a7e0000"
)

type fakeTarget struct {
	fake *sandbox.Ghost
	url  string
}

func newFakeTarget(t *testing.T) *fakeTarget {
	fake := sandbox.NewGhost(sandbox.GhostOptions{Sites: []sandbox.GhostSite{{
		Title: siteTitle, Owner: sandbox.GhostUser{Name: ownerName, Email: ownerEmail},
		StaffKeys: []string{fakeStaffKey}, IntegrationKeys: []string{fakeIntegrationKey},
	}}})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &fakeTarget{fake: fake, url: srv.URL}
}

func (f *fakeTarget) SiteURL() string        { return f.url }
func (f *fakeTarget) StaffKey() string       { return fakeStaffKey }
func (f *fakeTarget) IntegrationKey() string { return fakeIntegrationKey }

func (f *fakeTarget) Mails(_ *testing.T, addr string) []Mail {
	var out []Mail
	for _, d := range f.fake.Snapshot().Ledger {
		if d.Email == addr {
			out = append(out, Mail{To: d.Email, Subject: d.Subject, Token: d.Token})
		}
	}
	return out
}

func (f *fakeTarget) SetMailDown(_ *testing.T, down bool) { f.fake.SetMailDown(down) }

func (f *fakeTarget) InterruptBeforeMail(_ *testing.T, send func()) []Mail {
	f.fake.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, DieBeforeMail: true, Times: 1})
	before := len(f.fake.Snapshot().Invites)
	send()
	added := f.fake.Snapshot().Invites[before:]
	out := make([]Mail, 0, len(added))
	for _, inv := range added {
		out = append(out, Mail{To: inv.Email, Token: inv.Token})
	}
	return out
}

func (f *fakeTarget) InterruptAfterMail(_ *testing.T, send func()) {
	f.fake.Faults().Add(sandbox.Fault{Op: sandbox.OpInvite, DieAfterMail: true, Times: 1})
	send()
}
