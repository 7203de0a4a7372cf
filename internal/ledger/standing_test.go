package ledger

import (
	"testing"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

func TestPeoplePlacesEveryDesiredEmailOnce(t *testing.T) {
	t.Parallel()
	spec := &invv1.SiteInvitationSpec{Emails: []string{"a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io"}}
	cases := []struct {
		name   string
		status invv1.SiteInvitationStatus
		want   []Standing
	}{
		{"nothing yet", invv1.SiteInvitationStatus{}, []Standing{"Queued", "Queued", "Queued", "Queued", "Queued"}},
		{"sent states, a failure, an in-flight send", invv1.SiteInvitationStatus{
			Sent: []invv1.SentInvitation{{Email: "a@x.io", State: invv1.InvitationAccepted}, {Email: "b@x.io", State: invv1.InvitationExpired},
				{Email: "gone@x.io", State: invv1.InvitationPending}},
			Failed:   []invv1.FailedInvitation{{Email: "c@x.io", Reason: "InvalidEmail"}, {Email: "d@x.io", Reason: "RateLimited"}},
			InFlight: &invv1.InFlightBatch{Emails: []string{"d@x.io"}},
		}, []Standing{"Accepted", "Expired", "Failed", "InFlight", "Queued"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := People(spec, &c.status)
			if len(got) != len(c.want) {
				t.Fatalf("got %d people, want %d (removed emails are not people)", len(got), len(c.want))
			}
			for i, p := range got {
				if p.Email != spec.Emails[i] || p.Standing != c.want[i] {
					t.Errorf("%s: %s, want %s", p.Email, p.Standing, c.want[i])
				}
			}
		})
	}
}
