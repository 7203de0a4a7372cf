package controller

import (
	"strings"
	"testing"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

func TestGlobMatch(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"example.com", "example.com", true},
		{"example.com", "www.example.com", false},
		{"*.example.com", "blog.example.com", true},
		{"*.example.com", "a.b.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "evil-example.com", false},
		{"blog-*.example.com", "blog-eu.example.com", true},
		{"*", "anything", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"", "", true},
	} {
		if got := globMatch(c.pattern, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// TestJudgePolicy: a request may ask for less than the policy allows, never more; each dimension names
// its rule and the provider.
func TestJudgePolicy(t *testing.T) {
	t.Parallel()
	policy := &invv1.ProviderPolicy{AllowedSites: []string{"*.wordpress.com"}, AllowedRoles: []string{"author", "editor"},
		AllowedEmailDomains: []string{"example.com", "*.example.org"}, MaxEmailsPerObject: 3}
	spec := func(change func(*invv1.SiteInvitationSpec)) *invv1.SiteInvitationSpec {
		s := &invv1.SiteInvitationSpec{Site: "blog.wordpress.com", Roles: []string{"author"}, Emails: []string{"a@example.com", "b@x.example.org"}}
		change(s)
		return s
	}
	cases := []struct {
		name        string
		spec        *invv1.SiteInvitationSpec
		policy      *invv1.ProviderPolicy
		wantBlocked string
		wantOutside []string
	}{
		{name: "no policy allows everything", spec: spec(func(s *invv1.SiteInvitationSpec) { s.Roles = []string{"administrator"} })},
		{name: "inside every rule", spec: spec(func(*invv1.SiteInvitationSpec) {}), policy: policy},
		{name: "another site", spec: spec(func(s *invv1.SiteInvitationSpec) { s.Site = "intranet.example.net" }), policy: policy,
			wantBlocked: "spec.site intranet.example.net is not allowed by policy.allowedSites of InvitationProvider ns/wp"},
		{name: "a role the policy does not name", spec: spec(func(s *invv1.SiteInvitationSpec) { s.Roles = []string{"administrator"} }),
			policy: policy, wantBlocked: "role administrator in spec.roles is not allowed by policy.allowedRoles"},
		{name: "too many emails", spec: spec(func(s *invv1.SiteInvitationSpec) {
			s.Emails = []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"}
		}), policy: policy, wantBlocked: "spec.emails lists 4 emails, more than the 3 allowed by policy.maxEmailsPerObject"},
		{name: "some emails outside the domains", spec: spec(func(s *invv1.SiteInvitationSpec) {
			s.Emails = []string{"a@example.com", "m@mallory.net", "c@EXAMPLE.org"}
		}), policy: policy, wantOutside: []string{"m@mallory.net", "c@EXAMPLE.org"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := judgePolicy(tc.spec, tc.policy, "InvitationProvider ns/wp")
			got := ""
			if v.blocked != nil {
				got = v.blocked.Message
				if v.blocked.Reason != invv1.ReasonNotAllowed || !v.blocked.Stalled {
					t.Errorf("blocked with %+v", v.blocked)
				}
			}
			if (tc.wantBlocked == "") != (got == "") || !strings.Contains(got, tc.wantBlocked) {
				t.Errorf("blocked %q, want %q", got, tc.wantBlocked)
			}
			if len(v.outside) != len(tc.wantOutside) {
				t.Fatalf("outside %v, want %v", v.outside, tc.wantOutside)
			}
			for _, e := range tc.wantOutside {
				if !strings.Contains(v.outside[e], "policy.allowedEmailDomains of InvitationProvider ns/wp") {
					t.Errorf("%s: %q", e, v.outside[e])
				}
			}
		})
	}
}
