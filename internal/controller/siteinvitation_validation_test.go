package controller

import (
	"strings"
	"testing"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// TestValidateSpecRejectsWhatMustNotReachAProvider: an object that bypassed admission (an older CRD, a
// restored backup) is stopped with a message that names the field.
func TestValidateSpecRejectsWhatMustNotReachAProvider(t *testing.T) {
	t.Parallel()
	valid := func() invv1.SiteInvitationSpec {
		return invv1.SiteInvitationSpec{Provider: invv1.ProviderWordPress, Roles: []string{"author"}, Emails: []string{"a@x.io"}}
	}
	many := make([]string, invv1.MaxEmailsPerObject+1)
	for i := range many {
		many[i] = strings.Repeat("a", i%60+1) + "@x.io"
	}
	cases := []struct {
		name   string
		change func(*invv1.SiteInvitationSpec)
		want   string // "" for valid
	}{
		{name: "valid", change: func(*invv1.SiteInvitationSpec) {}},
		{name: "unknown provider", change: func(s *invv1.SiteInvitationSpec) { s.Provider = "Squarespace" }, want: "spec.provider"},
		{name: "no emails", change: func(s *invv1.SiteInvitationSpec) { s.Emails = nil }, want: "spec.emails must hold 1 to 500"},
		{name: "too many emails", change: func(s *invv1.SiteInvitationSpec) { s.Emails = many }, want: "not 501"},
		{name: "a display name", change: func(s *invv1.SiteInvitationSpec) { s.Emails = []string{"Ada <a@x.io>"} }, want: "spec.emails[0]"},
		{name: "a duplicate", change: func(s *invv1.SiteInvitationSpec) { s.Emails = []string{"a@x.io", "a@x.io"} }, want: "spec.emails[1]: duplicate"},
		{name: "two WordPress roles", change: func(s *invv1.SiteInvitationSpec) { s.Roles = []string{"author", "editor"} }, want: "spec.roles"},
		{name: "no Wix role", change: func(s *invv1.SiteInvitationSpec) { s.Provider, s.Roles = invv1.ProviderWix, nil }, want: "spec.roles"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := valid()
			tc.change(&spec)
			err := validateSpec(&spec)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid spec rejected: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want it to name %q", err, tc.want)
			}
		})
	}
}
