package wix

import (
	"encoding/json"
	"testing"
)

// FuzzBulkInviteAnswer feeds arbitrary bytes to the bulk invite answer parser; it must never panic.
func FuzzBulkInviteAnswer(f *testing.F) {
	for _, seed := range []string{
		`{"invites":[{"id":"i","email":"a@b.co","policyIds":["1"],"status":"Pending"}],"failedEmails":["c@d.co"]}`,
		`{"invites":null,"failedEmails":null}`, `{}`, `{"invites":[null]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(_ *testing.T, b []byte) {
		var r BulkInviteResponse
		_ = json.Unmarshal(b, &r)
		for _, inv := range r.Invites {
			_ = inv.Email
		}
	})
}

// FuzzErrorBody feeds arbitrary bytes to the error body parser; code and text must never panic.
func FuzzErrorBody(f *testing.F) {
	for _, seed := range []string{
		`{"message":"m","details":{"applicationError":{"code":"NOT_FOUND","description":"d"}}}`,
		`{"message":"m","details":{"validationError":{"fieldViolations":[{"field":"policyIds[0]","description":"x","violatedRule":"CUSTOM"}]}}}`,
		`{"message":"","details":{}}`, `<html>`, `{"details":{"validationError":{"fieldViolations":[null]}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(_ *testing.T, b []byte) {
		e := ParseAPIError(b)
		_, _, _ = e.code(), e.text(), e.violates("emails")
	})
}

// FuzzContributors feeds arbitrary bytes to the contributors parser.
func FuzzContributors(f *testing.F) {
	f.Add([]byte(`{"contributors":[{"id":"a","invitedEmail":"a@b.co","metaData":{"id":"a","email":"a@b.co","assignments":[{"policy":{"id":"1"}}]}}]}`))
	f.Add([]byte(`{"contributors":[{"metaData":null}]}`))
	f.Fuzz(func(_ *testing.T, b []byte) {
		var r contributorsResponse
		_ = json.Unmarshal(b, &r)
		for _, c := range r.Contributors {
			_, _ = c.Email(), c.Roles()
		}
	})
}
