package controller

import (
	"errors"
	"fmt"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// validateSpec checks again, in code, the rules of the CRD that guard what reaches a provider: the provider
// type, the email count, each email (with the same function the CRD's pattern is fuzzed against) and the
// role count. An object can bypass admission (an older CRD, a restored backup); nothing invalid may reach a
// provider.
func validateSpec(spec *invv1.SiteInvitationSpec) error {
	if spec.Provider != invv1.ProviderWix && spec.Provider != invv1.ProviderWordPress && spec.Provider != invv1.ProviderGhost {
		return fmt.Errorf("spec.provider %q is not Wix, WordPress or Ghost", spec.Provider)
	}
	if len(spec.Emails) == 0 || len(spec.Emails) > invv1.MaxEmailsPerObject {
		return fmt.Errorf("spec.emails must hold 1 to %d emails, not %d", invv1.MaxEmailsPerObject, len(spec.Emails))
	}
	seen := make(map[string]bool, len(spec.Emails))
	var errs []error
	for i, e := range spec.Emails {
		if err := invv1.ValidateEmail(e); err != nil {
			errs = append(errs, fmt.Errorf("spec.emails[%d]: %w", i, err))
		}
		if seen[e] {
			errs = append(errs, fmt.Errorf("spec.emails[%d]: duplicate", i))
		}
		seen[e] = true
	}
	if len(spec.Roles) == 0 || (spec.Provider != invv1.ProviderWix && len(spec.Roles) != 1) {
		errs = append(errs, errors.New("spec.roles: WordPress and Ghost take exactly one role, Wix one to ten"))
	}
	if spec.Provider == invv1.ProviderGhost {
		if _, err := provider.CheckEndpoint(spec.Site); err != nil {
			errs = append(errs, fmt.Errorf("spec.site: a Ghost site is its URL: %w", err))
		}
	}
	return errors.Join(errs...)
}

// validateTokens checks the retry and resend tokens against what status can record: a longer token would
// make every status write of the object fail, so it is refused instead, and the object says which.
func validateTokens(annotations map[string]string) error {
	var errs []error
	for _, name := range []string{invv1.RetryAnnotation, invv1.ResendAnnotation} {
		if n := len(annotations[name]); n > invv1.MaxTokenLength {
			errs = append(errs, fmt.Errorf("annotation %s holds %d characters; a token may have at most %d (a timestamp works): set a shorter one",
				name, n, invv1.MaxTokenLength))
		}
	}
	return errors.Join(errs...)
}
