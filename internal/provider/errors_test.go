package provider_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/siteops/invitation-operator/internal/provider"
)

func TestClassifyGivesEachErrorOneKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want provider.Kind
	}{
		{nil, provider.KindNone},
		{&provider.PermanentError{Reason: provider.ReasonInvalidEmail}, provider.KindPermanent},
		{&provider.TransientError{StatusCode: 429}, provider.KindTransient},
		{&provider.CredentialError{StatusCode: 401}, provider.KindCredential},
		{&provider.OutcomeUnknownError{Cause: errors.New("reset")}, provider.KindOutcomeUnknown},
		{&provider.NotFoundError{What: "invite"}, provider.KindNotFound},
		{fmt.Errorf("wrapped: %w", &provider.CredentialError{StatusCode: 403}), provider.KindCredential},
		{context.Canceled, provider.KindTransient},
	}
	for _, tc := range cases {
		if got := provider.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestTruncateKeepsRunesWhole(t *testing.T) {
	t.Parallel()
	if got := provider.Truncate("héllo wörld", 8); got != "héll…" {
		t.Errorf("Truncate = %q (%d bytes)", got, len(got))
	}
	if got := provider.Truncate("short", 8); got != "short" {
		t.Errorf("Truncate = %q", got)
	}
	long := strings.Repeat("é", 100)
	got := provider.Truncate(long, 128) // 2-byte runes: the cut lands mid-rune and must back off
	if len(got) != 127 || !strings.HasSuffix(got, "…") || !isValidUTF8(got) {
		t.Errorf("Truncate = %q (%d bytes)", got, len(got))
	}
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// TestRedirectsAreNotFollowed: a redirect to another host must never carry the credential there.
