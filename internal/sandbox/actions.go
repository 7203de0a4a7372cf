package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
)

// sandboxActions are what people do outside the API: the invited person accepts, the invite lapses, the
// site owner revokes it in the provider's dashboard. Tests call them through the Go API or the
// /_sandbox/* endpoints; a person trying `make demo` clicks them on the sandbox page.
type sandboxActions interface {
	sandboxAccept(site, email string) error
	sandboxExpire(site, email string) error
	sandboxRevoke(site, email string) error
}

func (s *store) sandboxAccept(site, email string) error { return s.Accept(site, email) }
func (s *store) sandboxExpire(site, email string) error { return s.Expire(site, email) }
func (s *store) sandboxRevoke(site, email string) error { return s.Revoke(site, email) }

// Fake is one sandbox server the page lists and acts on: *Wix, *WordPress or *Ghost.
type Fake interface {
	Snapshot() Snapshot
	sandboxActions
}

var (
	_ Fake = (*Wix)(nil)
	_ Fake = (*WordPress)(nil)
	_ Fake = (*Ghost)(nil)
)

// registerSandboxRoutes adds the test-side endpoints every fake serves beside its API: its page, its
// state as JSON, and the actions (through acts).
func registerSandboxRoutes(mux *http.ServeMux, s *store, acts sandboxActions) {
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, r *http.Request) {
		renderPage(rw, pageNotice(r), s.Snapshot())
	})
	mux.HandleFunc("GET /_sandbox/state", func(rw http.ResponseWriter, _ *http.Request) {
		writeJSON(rw, http.StatusOK, s.Snapshot())
	})
	registerActions(mux, func(string) sandboxActions { return acts })
}

// NewPage serves the page of several fakes at once (cmd/sandbox, make demo): GET / lists every fake's
// invites with buttons, and POST /_sandbox/{accept,expire,revoke} acts on the fake named by the form's
// provider field.
func NewPage(fakes ...Fake) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, r *http.Request) {
		snaps := make([]Snapshot, len(fakes))
		for i, f := range fakes {
			snaps[i] = f.Snapshot()
		}
		renderPage(rw, pageNotice(r), snaps...)
	})
	registerActions(mux, func(provider string) sandboxActions {
		for _, f := range fakes {
			if f.Snapshot().Provider == provider {
				return f
			}
		}
		return nil
	})
	return mux
}

// registerActions serves the three actions. The site and email come as form values (or query
// parameters); a form from the page (from=page) is answered with a redirect back to it, carrying what
// happened, and a program gets JSON.
func registerActions(mux *http.ServeMux, find func(provider string) sandboxActions) {
	for _, a := range []struct {
		name, done string
		do         func(sandboxActions, string, string) error
	}{
		{"accept", "accepted", sandboxActions.sandboxAccept},
		{"expire", "expired", sandboxActions.sandboxExpire},
		{"revoke", "revoked", sandboxActions.sandboxRevoke},
	} {
		mux.HandleFunc("POST /_sandbox/"+a.name, func(rw http.ResponseWriter, r *http.Request) {
			site, email, provider := r.FormValue("site"), r.FormValue("email"), r.FormValue("provider")
			acts := find(provider)
			var err error
			if acts == nil {
				err = fmt.Errorf("no sandbox for provider %q", provider)
			} else {
				err = a.do(acts, site, email)
			}
			if r.FormValue("from") != "page" {
				answer(rw, err)
				return
			}
			q := url.Values{}
			if err != nil {
				q.Set("error", err.Error())
			} else {
				q.Set("done", fmt.Sprintf("%s %s on %s %s; the operator sees it at its next refresh (--resync-period)", a.done, email, provider, site))
			}
			http.Redirect(rw, r, "/?"+q.Encode(), http.StatusSeeOther)
		})
	}
}

func answer(rw http.ResponseWriter, err error) {
	if err != nil {
		writeJSON(rw, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(rw, http.StatusOK, map[string]bool{"ok": true})
}

// notice is the line the page shows after an action.
type notice struct {
	Done, Error string
}

func pageNotice(r *http.Request) notice {
	return notice{Done: r.URL.Query().Get("done"), Error: r.URL.Query().Get("error")}
}
