package controller_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/controller"
)

// fleetObject is a SiteInvitation with the given emails, status records and conditions.
func fleetObject(ns, name string, p invv1.ProviderType, emails []string, st invv1.SiteInvitationStatus) *invv1.SiteInvitation {
	return &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: invv1.SiteInvitationSpec{Provider: p, Emails: emails}, Status: st}
}

func cond(typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason}
}

func TestFleetCollectorCountsPeopleAndConditions(t *testing.T) {
	t.Parallel()
	objs := []*invv1.SiteInvitation{
		fleetObject("team-a", "blog", invv1.ProviderWordPress, []string{"a@x.io", "b@x.io", "c@x.io"}, invv1.SiteInvitationStatus{
			Sent:       []invv1.SentInvitation{{Email: "a@x.io", State: invv1.InvitationAccepted}, {Email: "b@x.io", State: invv1.InvitationExpired}},
			Failed:     []invv1.FailedInvitation{{Email: "c@x.io", Reason: "InvalidEmail"}},
			Conditions: []metav1.Condition{cond("Ready", "False", "InvitesFailed"), cond("Stalled", "True", "InvitesFailed")}}),
		fleetObject("team-a", "shop", invv1.ProviderWix, []string{"d@x.io", "e@x.io"}, invv1.SiteInvitationStatus{
			Failed:     []invv1.FailedInvitation{{Email: "d@x.io", Reason: "OutcomeUnknown"}},
			InFlight:   &invv1.InFlightBatch{Emails: []string{"e@x.io"}},
			Conditions: []metav1.Condition{cond("Ready", "False", "OutcomeUnknown"), cond("Stalled", "True", "OutcomeUnknown")}}),
		fleetObject("team-b", "new", invv1.ProviderWix, []string{"f@x.io"}, invv1.SiteInvitationStatus{}),
	}
	b := fake.NewClientBuilder().WithScheme(env.Scheme)
	for _, o := range objs {
		b = b.WithObjects(o)
	}
	reader := b.Build()
	cases := []struct {
		name      string
		perObject bool
		metrics   []string
		want      string
	}{
		{"people by state, zeros included", false, []string{"invitation_operator_people"}, `
# HELP invitation_operator_people Desired emails by where they stand: Pending, Accepted, Expired, Revoked (status.sent), Failed, InFlight, Queued.
# TYPE invitation_operator_people gauge
` + peopleLines("team-a", "WordPress", map[string]int{"Accepted": 1, "Expired": 1, "Failed": 1}) +
			peopleLines("team-a", "Wix", map[string]int{"Failed": 1, "InFlight": 1}) +
			peopleLines("team-b", "Wix", map[string]int{"Queued": 1})},
		{"failed people by reason", false, []string{"invitation_operator_failed_people"}, `
# HELP invitation_operator_failed_people Desired emails in status.failed, by reason (OutcomeUnknown waits for a human).
# TYPE invitation_operator_failed_people gauge
invitation_operator_failed_people{namespace="team-a",provider="Wix",reason="OutcomeUnknown"} 1
invitation_operator_failed_people{namespace="team-a",provider="WordPress",reason="InvalidEmail"} 1
`},
		{"objects by condition; an unwritten object counts as Ready=Unknown", false, []string{"invitation_operator_siteinvitations_by_condition"}, `
# HELP invitation_operator_siteinvitations_by_condition SiteInvitations by condition type, status and reason; filter on type (each object counts once per condition it has). An object without conditions counts as Ready=Unknown.
# TYPE invitation_operator_siteinvitations_by_condition gauge
invitation_operator_siteinvitations_by_condition{namespace="team-a",provider="Wix",reason="OutcomeUnknown",status="False",type="Ready"} 1
invitation_operator_siteinvitations_by_condition{namespace="team-a",provider="Wix",reason="OutcomeUnknown",status="True",type="Stalled"} 1
invitation_operator_siteinvitations_by_condition{namespace="team-a",provider="WordPress",reason="InvitesFailed",status="False",type="Ready"} 1
invitation_operator_siteinvitations_by_condition{namespace="team-a",provider="WordPress",reason="InvitesFailed",status="True",type="Stalled"} 1
invitation_operator_siteinvitations_by_condition{namespace="team-b",provider="Wix",reason="",status="Unknown",type="Ready"} 1
`},
		{"per-object conditions only when asked for", false, []string{"invitation_operator_siteinvitation_condition"}, ""},
		{"per-object conditions", true, []string{"invitation_operator_siteinvitation_condition"}, `
# HELP invitation_operator_siteinvitation_condition 1 for each condition of each SiteInvitation (opt-in: --metrics-per-object-conditions; one series per object and condition).
# TYPE invitation_operator_siteinvitation_condition gauge
invitation_operator_siteinvitation_condition{name="blog",namespace="team-a",reason="InvitesFailed",status="False",type="Ready"} 1
invitation_operator_siteinvitation_condition{name="blog",namespace="team-a",reason="InvitesFailed",status="True",type="Stalled"} 1
invitation_operator_siteinvitation_condition{name="new",namespace="team-b",reason="",status="Unknown",type="Ready"} 1
invitation_operator_siteinvitation_condition{name="shop",namespace="team-a",reason="OutcomeUnknown",status="False",type="Ready"} 1
invitation_operator_siteinvitation_condition{name="shop",namespace="team-a",reason="OutcomeUnknown",status="True",type="Stalled"} 1
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			col := &controller.FleetCollector{Reader: reader, PerObjectConditions: c.perObject}
			if err := testutil.CollectAndCompare(col, strings.NewReader(c.want), c.metrics...); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestFleetCollectorReportsNothingUntilElected(t *testing.T) {
	t.Parallel()
	reader := fake.NewClientBuilder().WithScheme(env.Scheme).
		WithObjects(fleetObject("ns", "x", invv1.ProviderWix, []string{"a@x.io"}, invv1.SiteInvitationStatus{})).Build()
	elected := make(chan struct{})
	col := &controller.FleetCollector{Reader: reader, Elected: elected}
	if n := testutil.CollectAndCount(col); n != 0 {
		t.Fatalf("a standby replica reported %d series; they would double the leader's", n)
	}
	close(elected)
	if n := testutil.CollectAndCount(col); n != 7+1 { // seven states of people and one condition
		t.Fatalf("the leader reported %d series", n)
	}
}

// peopleLines is the exposition of one group's people gauge: every state, zero where absent.
func peopleLines(ns, p string, counts map[string]int) string {
	var b strings.Builder
	for _, s := range []string{"Accepted", "Expired", "Failed", "InFlight", "Pending", "Queued", "Revoked"} {
		b.WriteString(`invitation_operator_people{namespace="` + ns + `",provider="` + p + `",state="` + s + `"} ` + strconv.Itoa(counts[s]) + "\n")
	}
	return b.String()
}
