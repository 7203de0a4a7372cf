package controller

import (
	"fmt"
	"strings"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// policyVerdict is what a provider's policy says of one SiteInvitation, decided afresh on every pass from
// the policy in force: nothing of it is remembered, so loosening a policy lets held emails go out.
type policyVerdict struct {
	// blocked, when set, stops every send and resend of the object: its site, a role or its number of
	// emails is outside the policy. Invites already sent are kept.
	blocked *conditionState
	// outside maps each desired email outside policy.allowedEmailDomains to the rule that holds it back.
	outside map[string]string
}

// judgePolicy applies policy (nil: none) of the provider named provider ("ClusterInvitationProvider corp")
// to spec. A request may ask for less than the policy allows, never more.
func judgePolicy(spec *invv1.SiteInvitationSpec, policy *invv1.ProviderPolicy, provider string) policyVerdict {
	var v policyVerdict
	if policy == nil {
		return v
	}
	stop := func(rule, format string, args ...any) {
		if v.blocked == nil {
			v.blocked = &conditionState{Stalled: true, Reason: invv1.ReasonNotAllowed, Message: fmt.Sprintf(format, args...) +
				" by " + rule + " of " + provider + "; nothing is sent until the spec or the policy changes (invites already sent are kept)"}
		}
	}
	if len(policy.AllowedSites) > 0 && !matchAny(policy.AllowedSites, spec.Site) {
		stop("policy.allowedSites", "spec.site %s is not allowed", spec.Site)
	}
	for _, role := range spec.Roles {
		if len(policy.AllowedRoles) > 0 && !matchAny(policy.AllowedRoles, role) {
			stop("policy.allowedRoles", "role %s in spec.roles is not allowed", role)
		}
	}
	if limit := policy.MaxEmailsPerObject; limit > 0 && len(spec.Emails) > int(limit) {
		stop("policy.maxEmailsPerObject", "spec.emails lists %d emails, more than the %d allowed", len(spec.Emails), limit)
	}
	if len(policy.AllowedEmailDomains) > 0 {
		for _, e := range spec.Emails {
			domain := e[strings.LastIndexByte(e, '@')+1:]
			if !matchAny(policy.AllowedEmailDomains, domain) {
				if v.outside == nil {
					v.outside = map[string]string{}
				}
				v.outside[e] = "domain " + domain + " is not in policy.allowedEmailDomains of " + provider
			}
		}
	}
	return v
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if globMatch(strings.ToLower(p), strings.ToLower(s)) {
			return true
		}
	}
	return false
}

// globMatch reports whether s matches pattern, where '*' stands for any run of characters (possibly
// empty) and everything else for itself. Patterns are short (CRD-bounded), so the simple backtracking is
// cheap.
func globMatch(pattern, s string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == s
	}
	if !strings.HasPrefix(s, pattern[:star]) {
		return false
	}
	rest, tail := s[star:], pattern[star+1:]
	for i := 0; i <= len(rest); i++ {
		if globMatch(tail, rest[i:]) {
			return true
		}
	}
	return false
}
