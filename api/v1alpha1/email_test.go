package v1alpha1_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

func TestValidateEmail(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		email string
		want  error
	}{
		{"plain", "ada@example.com", nil},
		{"plus and subdomain", "ada+blog@mail.example.co.uk", nil},
		{"apostrophe", "o'brien@example.ie", nil},
		{"punycode top-level domain", "ivan@example.xn--p1ai", nil},
		{"64-character local part", strings.Repeat("a", 64) + "@example.com", nil},
		{"65-character local part", strings.Repeat("a", 65) + "@example.com", invv1.ErrEmailLocalTooLong},
		{"255 characters", strings.Repeat("a", 64) + "@" + strings.Repeat("b.", 93) + "comm", invv1.ErrEmailTooLong},
		{"uppercase", "Ada@example.com", invv1.ErrEmailHasUppercase},
		{"display name", "Ada <ada@example.com>", invv1.ErrEmailHasDisplayName},
		{"no domain dot", "ada@localhost", invv1.ErrEmailNotAddrSpec},
		{"two @", "a@b@example.com", invv1.ErrEmailNotAddrSpec},
		{"leading dot", ".ada@example.com", invv1.ErrEmailNotAddrSpec},
		{"double dot", "ada..l@example.com", invv1.ErrEmailNotAddrSpec},
		{"numeric top-level domain", "ada@example.123", invv1.ErrEmailNotAddrSpec},
		{"label starting with a hyphen", "ada@-example.com", invv1.ErrEmailNotAddrSpec},
		{"empty", "", invv1.ErrEmailNotAddrSpec},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := invv1.ValidateEmail(tc.email); !errors.Is(got, tc.want) {
				t.Errorf("ValidateEmail(%q) = %v, want %v", tc.email, got, tc.want)
			}
		})
	}
}

// FuzzValidateEmailAgreesWithTheCRD compares ValidateEmail with what the API server enforces: the pattern as
// compiled from the generated CRD (Kubernetes uses Go's regexp for OpenAPI patterns), maxLength 254 and the
// CEL rule on the local part. Any input one accepts and the other rejects is a bug.
func FuzzValidateEmailAgreesWithTheCRD(f *testing.F) {
	crdPattern := regexp.MustCompile(crdEmailPattern(f))
	for _, seed := range []string{"ada@example.com", "Ada@example.com", "a.b@c.d", "a@b.cc", "x@y-.com", "é@example.com",
		"a@b.c-d", "a@b.xn--p1ai", strings.Repeat("a", 65) + "@b.com", "ada@example.com\n", "\x00@a.bc", "a@b.c0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		apiServer := len(s) <= invv1.MaxEmailLength && crdPattern.MatchString(s) && strings.Index(s, "@") <= invv1.MaxEmailLocalPart &&
			s == strings.ToLower(s) && !strings.ContainsAny(s, "< ")
		if got := invv1.ValidateEmail(s) == nil; got != apiServer {
			t.Fatalf("ValidateEmail(%q) accepts=%v, the CRD accepts=%v", s, got, apiServer)
		}
	})
}
