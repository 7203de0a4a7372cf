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

var page = template.Must(template.New("page").Funcs(template.FuncMap{"actions": actions}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>invitation-operator sandbox</title>
<meta http-equiv="refresh" content="5; url=/">
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}.dup{color:#b00;font-weight:bold}.ok{color:#070}
td.actions form{display:inline;margin:0 .2em 0 0}td.actions button{font:inherit;cursor:pointer}
.notice{padding:.5em .8em;border-radius:4px}.notice.done{background:#e7f6e7}.notice.error{background:#fbe7e7}
</style></head><body>
{{with .Notice.Done}}<p class="notice done" id="notice">{{.}}</p>{{end}}
{{with .Notice.Error}}<p class="notice error" id="notice">{{.}}</p>{{end}}
{{range .Snaps}}{{$provider := .Provider}}
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
<p>Play the people and the site owner: <b>accept</b> is the person clicking the link, <b>expire</b> lets the invite lapse,
<b>revoke</b> withdraws it at the provider. The operator notices at its next refresh of pending invites.</p>
<table><tr><th>id</th><th>site</th><th>email</th><th>roles</th><th>state</th><th>emails sent</th><th>created</th><th>act</th></tr>
{{range .Invites}}<tr data-provider="{{$provider}}" data-site="{{.Site}}" data-email="{{.Email}}" data-state="{{.State}}">
<td>{{.ID}}</td><td>{{.Site}}</td><td>{{.Email}}</td><td>{{range .Roles}}{{.}} {{end}}</td>
<td class="state">{{.State}}{{if .Undelivered}} (stored, never emailed){{end}}</td><td>{{.Emails}}</td><td>{{.Created.Format "15:04:05"}}</td>
<td class="actions">{{$inv := .}}{{range $inv | actions}}<form method="post" action="/_sandbox/{{.}}">
<input type="hidden" name="provider" value="{{$provider}}"><input type="hidden" name="site" value="{{$inv.Site}}">
<input type="hidden" name="email" value="{{$inv.Email}}"><input type="hidden" name="from" value="page">
<button type="submit" data-action="{{.}}">{{.}}</button></form>{{end}}</td></tr>{{end}}
</table>
{{$links := false}}{{range .Ledger}}{{if .Link}}{{$links = true}}{{end}}{{end}}
{{if $links}}<h2>Invitation emails</h2>
<table><tr><th>to</th><th>kind</th><th>subject</th><th>invite link (its token accepts)</th></tr>
{{range .Ledger}}<tr><td>{{.Email}}</td><td>{{.Kind}}</td><td>{{.Subject}}</td><td><code>{{.Link}}</code></td></tr>{{end}}
</table>{{end}}
{{end}}
<p>The same as JSON: <code>/_sandbox/state</code>.</p>
</body></html>`))

// actions are the buttons an invite offers: a pending one can be accepted (once emailed), expire or be
// revoked; an expired one can still be revoked; an accepted or revoked one is done.
func actions(inv Invite) []string {
	switch inv.State {
	case StatePending:
		if inv.Undelivered {
			return []string{"expire", "revoke"}
		}
		return []string{"accept", "expire", "revoke"}
	case StateExpired:
		return []string{"revoke"}
	}
	return nil
}

// RenderPage writes the sandbox page for one or more fakes.
func RenderPage(w io.Writer, snaps ...Snapshot) { renderPage(w, notice{}, snaps...) }

func renderPage(w io.Writer, n notice, snaps ...Snapshot) {
	if rw, ok := w.(http.ResponseWriter); ok {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	_ = page.Execute(w, struct {
		Notice notice
		Snaps  []Snapshot
	}{n, snaps})
}
