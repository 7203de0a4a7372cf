package sandbox

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"strconv"
)

// maxRequestBody bounds what a fake reads from a request, like a real gateway.
const maxRequestBody = 1 << 20

func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(v)
}

func itoa(i int) string { return strconv.Itoa(i) }

// discard swallows an answer that accept-then-drop never sends.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// sandboxActions are "the person clicked the link" and "the invite lapsed" of one fake.
type sandboxActions interface {
	sandboxAccept(site, email string) error
	sandboxExpire(site, email string) error
}

func (s *store) sandboxAccept(site, email string) error { return s.Accept(site, email) }
func (s *store) sandboxExpire(site, email string) error { return s.Expire(site, email) }

// registerSandboxRoutes adds the test-side endpoints every fake serves beside its API: the page, the
// state as JSON, and "the person clicked the link" / "the invite lapsed" (through acts).
func registerSandboxRoutes(mux *http.ServeMux, s *store, acts sandboxActions) {
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, _ *http.Request) {
		RenderPage(rw, s.Snapshot())
	})
	mux.HandleFunc("GET /_sandbox/state", func(rw http.ResponseWriter, _ *http.Request) {
		writeJSON(rw, http.StatusOK, s.Snapshot())
	})
	mux.HandleFunc("POST /_sandbox/accept", func(rw http.ResponseWriter, r *http.Request) {
		answer(rw, acts.sandboxAccept(r.FormValue("site"), r.FormValue("email")))
	})
	mux.HandleFunc("POST /_sandbox/expire", func(rw http.ResponseWriter, r *http.Request) {
		answer(rw, acts.sandboxExpire(r.FormValue("site"), r.FormValue("email")))
	})
}

func answer(rw http.ResponseWriter, err error) {
	if err != nil {
		writeJSON(rw, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(rw, http.StatusOK, map[string]bool{"ok": true})
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>invitation-operator sandbox</title>
<meta http-equiv="refresh" content="5">
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}.dup{color:#b00;font-weight:bold}.ok{color:#070}
</style></head><body>
{{range .}}
<h1>{{.Provider}} sandbox</h1>
<p>{{len .Invites}} invites, {{len .Ledger}} emails delivered,
{{if .Duplicates}}<span class="dup">{{len .Duplicates}} people invited more than once: {{range .Duplicates}}{{.}} {{end}}</span>
{{else}}<span class="ok">nobody invited twice</span>{{end}}.
Calls: {{range $op, $n := .Calls}}{{$op}}={{$n}} {{end}}</p>
<h2>Sites</h2>
<table><tr><th>site</th><th>domain</th><th>roles</th><th>members</th></tr>
{{range .Sites}}<tr><td>{{.ID}}</td><td>{{.Domain}}</td><td>{{range .Roles}}{{.}} {{end}}</td><td>{{range .Members}}{{.}}<br>{{end}}</td></tr>{{end}}
</table>
<h2>Invites</h2>
<table><tr><th>id</th><th>site</th><th>email</th><th>roles</th><th>state</th><th>emails sent</th><th>created</th></tr>
{{range .Invites}}<tr><td>{{.ID}}</td><td>{{.Site}}</td><td>{{.Email}}</td><td>{{range .Roles}}{{.}} {{end}}</td>
<td>{{.State}}{{if .Undelivered}} (stored, never emailed){{end}}</td><td>{{.Emails}}</td><td>{{.Created.Format "15:04:05"}}</td></tr>{{end}}
</table>
{{$links := false}}{{range .Ledger}}{{if .Link}}{{$links = true}}{{end}}{{end}}
{{if $links}}<h2>Invitation emails</h2>
<table><tr><th>to</th><th>kind</th><th>subject</th><th>invite link (its token accepts)</th></tr>
{{range .Ledger}}<tr><td>{{.Email}}</td><td>{{.Kind}}</td><td>{{.Subject}}</td><td><code>{{.Link}}</code></td></tr>{{end}}
</table>{{end}}
{{end}}
<p>The same as JSON: <code>/_sandbox/state</code>.</p>
</body></html>`))

// RenderPage writes the sandbox page for one or more fakes.
func RenderPage(w io.Writer, snaps ...Snapshot) {
	if rw, ok := w.(http.ResponseWriter); ok {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	_ = page.Execute(w, snaps)
}
