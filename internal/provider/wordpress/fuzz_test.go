package wordpress

import (
	"encoding/json"
	"testing"
)

// FuzzInvitesNewAnswer feeds arbitrary bytes to the invites/new answer parser: it must never panic, and
// every invitee error it accepts must classify to a reason.
func FuzzInvitesNewAnswer(f *testing.F) {
	for _, seed := range []string{
		`{"sent":["a@b.co"],"errors":{}}`, `{"sent":[],"errors":[]}`, `{"errors":null}`,
		`{"sent":["x"],"errors":{"y":{"code":"invalid_input","message":"Invalid email"}}}`,
		`{"errors":{"y":{"errors":{"form-error-username-or-email":["User already has a role on your site."]},"error_data":[]}}}`,
		`{"errors":{"y":"just a string"}}`, `{"errors":[{"code":1}]}`, `{"errors":{"y":{"errors":{"a":null}}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r NewInvitesResponse
		if json.Unmarshal(b, &r) != nil {
			return
		}
		errs, err := r.InviteeErrors()
		if err != nil {
			return
		}
		for _, raw := range errs {
			if e := inviteeError(raw); e.Reason == "" || len(e.Message) > 200 {
				t.Fatalf("invitee error %s gave %+v", raw, e)
			}
		}
	})
}

// FuzzInvitesList feeds arbitrary bytes to the invites list parser, including user.email as false.
func FuzzInvitesList(f *testing.F) {
	for _, seed := range []string{
		`{"found":1,"invites":[{"invite_key":"k","role":"author","is_pending":true,"user":{"login":"a","email":"a@b.co"}}]}`,
		`{"found":1,"invites":[{"invite_key":"k","is_pending":false,"accepted_date":null,"user":{"login":"a","email":false}}]}`,
		`{"invites":[{"user":null}]}`, `{"invites":[{"user":{"email":7}}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r listInvitesResponse
		if json.Unmarshal(b, &r) != nil {
			return
		}
		for _, inv := range r.Invites {
			if s := inviteState(inv); s == "" {
				t.Fatalf("no state for %+v", inv)
			}
		}
	})
}

func FuzzErrorBody(f *testing.F) {
	for _, seed := range []string{`{"error":"unknown_blog","message":"Unknown blog"}`, `{"code":"x","message":"y","data":{"status":400}}`, `<html>`, ``} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(_ *testing.T, b []byte) { _, _ = ParseAPIError(b) })
}
