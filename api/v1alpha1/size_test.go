package v1alpha1_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// sizeBudget is the most a SiteInvitation may weigh in etcd: half of etcd's 1.5 MiB request limit, so an
// object with a full status never comes near it.
const sizeBudget = 768 << 10

// maxPlanned is how many emails status.plan names per action (the CRD's maxItems, ledger.PlanShown).
const maxPlanned = 3

// maxEmail returns the n-th distinct email of the maximum length, 254 characters with a 64-character local
// part.
func maxEmail(n int) string {
	local := fmt.Sprintf("%064d", n)
	var labels []string
	for rest := 254 - len(local) - 1 - len(".com"); rest > 0; rest -= 64 {
		labels = append(labels, strings.Repeat("d", min(rest, 64)-1))
	}
	return local + "@" + strings.Join(labels, ".") + ".com"
}

func maxRoles() []string {
	roles := make([]string, 10)
	for i := range roles {
		roles[i] = fmt.Sprintf("%020d", i)
	}
	return roles
}

// TestFullObjectStaysWithinSizeBudget stores the largest SiteInvitation the schema and the controller allow,
// the way kubectl apply does (with the last-applied annotation) and with the largest status the controller
// writes, and weighs what the API server returns. docs/api.md has the same arithmetic by hand.
func TestFullObjectStaysWithinSizeBudget(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	emails := make([]string, invv1.MaxEmailsPerObject)
	for i := range emails {
		emails[i] = maxEmail(i)
	}
	sent := func(from, n int) []invv1.SentInvitation {
		out := make([]invv1.SentInvitation, n)
		for i := range out {
			out[i] = invv1.SentInvitation{Email: maxEmail(from + i), InviteID: strings.Repeat("k", 64), Roles: maxRoles(),
				SentAt: now, ExpiresAt: &now, State: invv1.InvitationExpired, Resends: 99, RolesOutdated: true, Adopted: true}
		}
		return out
	}
	failed := func(n int) []invv1.FailedInvitation {
		out := make([]invv1.FailedInvitation, n)
		for i := range out {
			out[i] = invv1.FailedInvitation{Email: maxEmail(i), Reason: strings.Repeat("R", 32),
				Message: strings.Repeat("m", 128), Retryable: true, Attempts: 1000, LastAttemptAt: now, NextAttemptAt: &now, Generation: 1 << 40}
		}
		return out
	}
	// The plan is shown only while suspended, but an intent record may still be there from before.
	action := func() *invv1.PlannedAction {
		a := &invv1.PlannedAction{Count: 1000}
		for i := range maxPlanned {
			a.Emails = append(a.Emails, invv1.PlannedEmail{Email: maxEmail(i), Reason: strings.Repeat("R", 32)})
		}
		return a
	}
	plan := &invv1.InvitationPlan{Send: action(), Revoke: action(), Resend: action(), Reissue: action(), Note: strings.Repeat("n", 256)}
	inFlight := &invv1.InFlightBatch{ID: strings.Repeat("i", 64), Emails: emails[:50], Roles: maxRoles(), StartedAt: now}
	conditions := make([]metav1.Condition, 3)
	for i, typ := range []string{"Ready", "Reconciling", "Stalled"} {
		conditions[i] = metav1.Condition{Type: typ, Status: metav1.ConditionFalse, Reason: strings.Repeat("R", 64),
			Message: strings.Repeat("m", 1024), LastTransitionTime: now, ObservedGeneration: 1}
	}

	// The controller keeps len(sent)+len(failed) <= MaxLedgerEntries: 500 desired emails plus at most 5
	// removed ones whose pending invite awaits revocation.
	cases := []struct {
		name   string
		sent   []invv1.SentInvitation
		failed []invv1.FailedInvitation
	}{
		{"every email sent, 5 awaiting revocation", sent(0, invv1.MaxLedgerEntries), nil},
		{"every email failed, 5 awaiting revocation", sent(500, invv1.MaxLedgerEntries-500), failed(500)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			obj := &invv1.SiteInvitation{
				TypeMeta:   metav1.TypeMeta{APIVersion: invv1.GroupVersion.String(), Kind: "SiteInvitation"},
				ObjectMeta: metav1.ObjectMeta{GenerateName: "full-", Namespace: "default"},
				Spec: invv1.SiteInvitationSpec{
					Provider: invv1.ProviderWix, ProviderRef: invv1.ProviderReference{Kind: invv1.ClusterInvitationProviderKind, Name: strings.Repeat("p", 253)},
					Site:   "1f2d3c4b-5a69-4788-99aa-bbccddeeff00",
					Roles:  maxRoles(),
					Emails: emails,
					Wix: &invv1.WixInvitationOptions{InvitePurpose: strings.Repeat("w", 200), DefaultEmailLanguage: "pt-BR",
						LocationIDs: repeatGUID(20)},
					RemovalPolicy: invv1.RemovalPolicyRevoke,
				},
			}
			applied, err := json.Marshal(obj)
			g.Expect(err).NotTo(HaveOccurred())
			obj.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": string(applied)}
			g.Expect(k8s.Create(ctx, obj, client.FieldOwner("kubectl-client-side-apply"))).To(Succeed())

			obj.Status = invv1.SiteInvitationStatus{ObservedGeneration: 1, Conditions: conditions, Sent: tc.sent,
				Failed: tc.failed, InFlight: inFlight, Plan: plan, LastHandledRetry: strings.Repeat("t", 256), LastHandledResend: strings.Repeat("t", 256),
				Summary: invv1.InvitationSummary{Desired: 500, Sent: 500, Accepted: 500, Failed: 500, InFlight: 50, Expired: 500, RolesOutdated: 500}}
			g.Expect(k8s.Status().Update(ctx, obj, client.FieldOwner("invitation-operator"))).To(Succeed())

			cs, err := kubernetes.NewForConfig(env.Config)
			g.Expect(err).NotTo(HaveOccurred())
			raw, err := cs.RESTClient().Get().AbsPath("/apis/invitations.siteops.dev/v1alpha1/namespaces/default/siteinvitations", obj.Name).DoRaw(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			t.Logf("stored size: %d bytes (%.0f KiB), budget %d KiB", len(raw), float64(len(raw))/1024, sizeBudget>>10)
			g.Expect(len(raw)).To(BeNumerically("<", sizeBudget))
		})
	}
}

func repeatGUID(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("0b5c4f8e-2a61-4c3e-9d47-%012d", i)
	}
	return out
}
