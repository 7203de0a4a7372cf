package controller_test

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/controller"
	"github.com/siteops/invitation-operator/internal/sandbox"
)

// The whole life of an invite against the sandbox and the real API server: expiry that no listing tells,
// the resend policy and its bound across a crash, role changes, and the plan shown while suspended. The
// sandbox's invites lapse after a short TTL, in real time; every wait is on what the object or the
// sandbox shows, bounded.

// lifecycleResync is far longer than any test here: what happens, happens because the object was woken
// at an expiry, not because a resync came round.
const lifecycleResync = 5 * time.Minute

func sentEntry(o *invv1.SiteInvitation, email string) invv1.SentInvitation {
	for _, s := range o.Status.Sent {
		if s.Email == email {
			return s
		}
	}
	return invv1.SentInvitation{}
}

// TestExpiryWithoutAnyListing: Wix cannot list pending invites, but its answer to the send gave the
// invite's expirationDate: the invite reads Expired once that passes, the summary and the Ready message
// count it, and Ready stays True.
func TestExpiryWithoutAnyListing(t *testing.T) {
	w := newWorldTTL(t, 2*time.Second)
	w.start(managerOptions{resync: lifecycleResync})
	w.create(w.invitation("obj", invv1.ProviderWix, "ada@example.com", "grace@example.com"))
	o := w.eventually("obj", 20*time.Second, ready)
	g := NewWithT(t)
	for _, s := range o.Status.Sent {
		g.Expect(s.ExpiresAt).NotTo(BeNil(), "Wix's expirationDate is recorded")
		g.Expect(s.ExpiresAt.Time).To(BeTemporally("~", s.SentAt.Add(2*time.Second), 2*time.Second))
	}
	contributorsBefore := w.wix.Snapshot().Calls[sandbox.OpContributors]

	o = w.eventually("obj", 15*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		g.Expect(o.Status.Summary.Expired).To(Equal(int32(2)))
		for _, s := range o.Status.Sent {
			g.Expect(s.State).To(Equal(invv1.InvitationExpired))
		}
	})
	ready := meta.FindStatusCondition(o.Status.Conditions, invv1.ConditionReady)
	g.Expect(ready.Status).To(BeEquivalentTo("True"), "expired invites do not clear Ready")
	g.Expect(ready.Message).To(ContainSubstring("2 expired"))
	g.Expect(ready.Message).To(ContainSubstring("spec.resendPolicy"))
	g.Expect(w.wix.Snapshot().Calls[sandbox.OpContributors]).To(Equal(contributorsBefore),
		"the expiry came from the recorded time, not from asking Wix")
	exactlyOnce(g, w.wix.Snapshot(), wixSite, []string{"ada@example.com", "grace@example.com"})
}

// TestResendPolicyResendsExactlyMaxResendsTimes: with resendPolicy maxResends 2, each email gets its
// invite and exactly two resends — the sandbox's ledger counts three emails per person — through Wix's
// resend call (never a second invite), and nothing after the limit.
func TestResendPolicyResendsExactlyMaxResendsTimes(t *testing.T) {
	w := newWorldTTL(t, time.Second)
	w.start(managerOptions{resync: lifecycleResync})
	list := []string{"ada@example.com", "grace@example.com"}
	obj := w.invitation("obj", invv1.ProviderWix, list...)
	obj.Spec.ResendPolicy = &invv1.ResendPolicy{AfterExpiry: "0s", MaxResends: 2}
	w.create(obj)

	emailsTo := func() []int {
		snap := w.wix.Snapshot()
		return []int{snap.Emails(wixSite, list[0]), snap.Emails(wixSite, list[1])}
	}
	g := NewWithT(t)
	g.Eventually(emailsTo).WithTimeout(20 * time.Second).Should(Equal([]int{3, 3}))
	o := w.eventually("obj", 10*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		for _, e := range list {
			s := sentEntry(o, e)
			g.Expect(s.Resends).To(Equal(int32(2)), e)
			g.Expect(s.State).To(Equal(invv1.InvitationExpired), "after the last resend lapsed, %s", e)
		}
	})
	g.Consistently(emailsTo).WithTimeout(4*time.Second).Should(Equal([]int{3, 3}), "no resend after the limit")
	snap := w.wix.Snapshot()
	g.Expect(snap.Calls[sandbox.OpInvite]).To(Equal(1), "one bulk invite; every later email was a resend")
	g.Expect(snap.Calls[sandbox.OpResend]).To(Equal(4))
	for _, d := range snap.Ledger {
		if d.Kind == sandbox.DeliveryResend {
			g.Expect(d.InviteID).To(Equal(sentEntry(o, d.Email).InviteID), "resent through the same invite")
		}
	}
	g.Expect(meta.FindStatusCondition(o.Status.Conditions, invv1.ConditionReady).Message).To(ContainSubstring("2 expired"))
	w.expectEvent("obj", invv1.EventInvitesResent)
}

// TestResendCrashBound: the manager dies after a resend call returned and before its outcome was written
// (injected). The resend was counted before the call, and the expired invite's expiry cleared, so the
// restarted pass neither resends that lapse again nor exceeds maxResends: on Wix, which cannot be asked,
// the invite then stays Expired without an expiry (in doubt) until a person resends; on WordPress.com the
// next listing shows where the invite stands (here: lapsed again, after the sandbox's one-second TTL) and
// the policy carries on, never past the limit.
func TestResendCrashBound(t *testing.T) {
	cases := []struct {
		p invv1.ProviderType
		// wantEmails is what the person gets in all: the invite and the resends that went out.
		wantEmails, wantResends int
	}{
		{invv1.ProviderWix, 2, 1},
		{invv1.ProviderWordPress, 4, 3},
	}
	for _, tc := range cases {
		t.Run(string(tc.p), func(t *testing.T) {
			w := newWorldTTL(t, time.Second)
			var crashed atomic.Bool
			hooks := controller.Hooks{AfterResend: func(*invv1.SiteInvitation) error {
				if crashed.CompareAndSwap(false, true) {
					return errors.New("injected crash between the resend and its record")
				}
				return nil
			}}
			// WordPress.com shows a lapse only in its listing, looked at every resync.
			w.start(managerOptions{hooks: hooks, resync: cmpResync(tc.p)})
			site, fake := w.fake(tc.p)
			const email = "ada@example.com"
			obj := w.invitation("obj", tc.p, email)
			obj.Spec.ResendPolicy = &invv1.ResendPolicy{AfterExpiry: "0s", MaxResends: 3}
			w.create(obj)

			emailsTo := func() int { return fake.Snapshot().Emails(site, email) }
			g := NewWithT(t)
			g.Eventually(crashed.Load).WithTimeout(30 * time.Second).Should(BeTrue())
			g.Eventually(emailsTo).WithTimeout(30 * time.Second).Should(Equal(tc.wantEmails))
			w.eventually("obj", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
				g.Expect(sentEntry(o, email).Resends).To(Equal(int32(tc.wantResends)))
			})
			g.Consistently(emailsTo).WithTimeout(3*testResync).Should(Equal(tc.wantEmails), "never past the bound")
			g.Expect(emailsTo()).To(BeNumerically("<=", 1+3), "at most 1 + maxResends emails")
			g.Expect(countKind(fake.Snapshot(), sandbox.DeliveryInvite)).To(Equal(1), "a resend is never a second invite")
			if tc.p == invv1.ProviderWix {
				s := sentEntry(w.get("obj"), email)
				g.Expect(s.State).To(Equal(invv1.InvitationExpired))
				g.Expect(s.ExpiresAt).To(BeNil(), "in doubt: the crashed resend's answer was never recorded")
			}
		})
	}
}

func cmpResync(p invv1.ProviderType) time.Duration {
	if p == invv1.ProviderWordPress {
		return testResync
	}
	return lifecycleResync
}

func countKind(snap sandbox.Snapshot, kind sandbox.DeliveryKind) int {
	n := 0
	for _, d := range snap.Ledger {
		if d.Kind == kind {
			n++
		}
	}
	return n
}

// TestRoleChange: a change of spec.roles with the default roleChangePolicy (Keep) sends nothing and marks
// the pending invites whose roles differ, in status and in the Ready message; switching to Reissue
// revokes each and invites the person again with the new role, once.
func TestRoleChange(t *testing.T) {
	w := startedWorld(t)
	list := []string{"ada@example.com", "grace@example.com"}
	w.create(w.invitation("obj", invv1.ProviderWordPress, list...))
	w.eventually("obj", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		for _, s := range o.Status.Sent {
			g.Expect(s.InviteID).NotTo(BeEmpty(), "revoking needs the key, learned from the listing")
		}
	})

	w.update("obj", func(o *invv1.SiteInvitation) { o.Spec.Roles = []string{"editor"} })
	o := w.eventually("obj", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		g.Expect(o.Status.Summary.RolesOutdated).To(Equal(int32(2)))
		for _, s := range o.Status.Sent {
			g.Expect(s.RolesOutdated).To(BeTrue(), s.Email)
			g.Expect(s.Roles).To(Equal([]string{"author"}))
		}
	})
	g := NewWithT(t)
	g.Expect(meta.FindStatusCondition(o.Status.Conditions, invv1.ConditionReady).Message).To(
		ContainSubstring("2 pending invites carry roles other than spec.roles"))
	g.Consistently(func() int { return w.wp.Snapshot().Calls[sandbox.OpInvite] + w.wp.Snapshot().Calls[sandbox.OpRevoke] }).
		WithTimeout(2*time.Second).Should(Equal(1), "Keep: nothing is sent or revoked")

	w.update("obj", func(o *invv1.SiteInvitation) { o.Spec.RoleChangePolicy = invv1.RoleChangeReissue })
	w.eventually("obj", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		g.Expect(o.Status.Summary.RolesOutdated).To(BeZero())
		for _, s := range o.Status.Sent {
			g.Expect(s.Roles).To(Equal([]string{"editor"}), s.Email)
			g.Expect(s.RolesOutdated).To(BeFalse())
			g.Expect(s.State).To(Equal(invv1.InvitationPending))
		}
	})
	snap := w.wp.Snapshot()
	for _, e := range list {
		g.Expect(snap.Emails(wpSiteID, e)).To(Equal(2), "the first invite and the re-issued one: %s", e)
		var roles []string
		for _, inv := range snap.Invites {
			if inv.Email == e {
				roles = append(roles, string(inv.State)+":"+inv.Roles[0])
			}
		}
		slices.Sort(roles)
		g.Expect(roles).To(Equal([]string{"pending:editor", "revoked:author"}), e)
	}
	g.Consistently(func() int { return w.wp.Snapshot().Emails(wpSiteID, list[0]) }).WithTimeout(2*testResync).Should(Equal(2), "re-issued once")
	w.expectEvent("obj", invv1.EventInvitesReissued)
}

// TestPlanEqualsActions: while suspended, status.plan shows what resuming will do for a mix of an
// addition, a removal and an expiry; once resumed, the sandbox shows exactly those calls, no more.
func TestPlanEqualsActions(t *testing.T) {
	w := newWorldTTL(t, 6*time.Second)
	w.start(managerOptions{resync: lifecycleResync})
	obj := w.invitation("obj", invv1.ProviderWix, "lapses@example.com")
	obj.Spec.RemovalPolicy = invv1.RemovalPolicyRevoke
	w.create(obj)
	w.eventually("obj", 20*time.Second, ready)
	w.wix.SetInviteTTL(time.Hour) // the next invite outlives the test
	w.update("obj", func(o *invv1.SiteInvitation) { o.Spec.Emails = append(o.Spec.Emails, "leaves@example.com") })
	w.eventually("obj", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		g.Expect(sentEntry(o, "leaves@example.com").State).To(Equal(invv1.InvitationPending))
	})

	// The resend policy comes with the suspension, so the first invite cannot be resent before it.
	w.update("obj", func(o *invv1.SiteInvitation) {
		o.Spec.Suspend = true
		o.Spec.Emails = []string{"lapses@example.com", "joins@example.com", "also@example.com"}
		o.Spec.ResendPolicy = &invv1.ResendPolicy{AfterExpiry: "0s", MaxResends: 1}
	})
	w.eventually("obj", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		g.Expect(condition(o, "Ready")).To(Equal("False/" + invv1.ReasonSuspended))
		g.Expect(o.Status.Plan).NotTo(BeNil())
	})
	before := w.wix.Snapshot()
	o := w.eventually("obj", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		g.Expect(sentEntry(o, "lapses@example.com").State).To(Equal(invv1.InvitationExpired), "expired while suspended")
		g.Expect(o.Status.Plan).NotTo(BeNil())
		g.Expect(o.Status.Plan.Resend).NotTo(BeNil())
	})
	plan := o.Status.Plan
	g := NewWithT(t)
	g.Expect(plan.Send).To(Equal(&invv1.PlannedAction{Count: 2, Emails: []invv1.PlannedEmail{
		{Email: "joins@example.com", Reason: invv1.PlanNotInvited}, {Email: "also@example.com", Reason: invv1.PlanNotInvited}}}))
	g.Expect(plan.Revoke).To(Equal(&invv1.PlannedAction{Count: 1, Emails: []invv1.PlannedEmail{{Email: "leaves@example.com", Reason: invv1.PlanRemoved}}}))
	g.Expect(plan.Resend).To(Equal(&invv1.PlannedAction{Count: 1, Emails: []invv1.PlannedEmail{{Email: "lapses@example.com", Reason: invv1.PlanExpired}}}))
	g.Expect(plan.Reissue).To(BeNil())
	g.Expect(plan.Note).NotTo(ContainSubstring("adopted"), "Wix lists no pending invites: nothing can be adopted")
	g.Expect(w.wix.Snapshot().Calls).To(Equal(before.Calls), "a suspended object calls nothing")

	w.update("obj", func(o *invv1.SiteInvitation) { o.Spec.Suspend = false })
	w.eventually("obj", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
		ready(g, o)
		g.Expect(o.Status.Plan).To(BeNil(), "the plan is shown only while suspended")
		g.Expect(sentEntry(o, "lapses@example.com").Resends).To(Equal(int32(1)))
	})
	after := w.wix.Snapshot()
	g.Expect(after.Calls[sandbox.OpInvite]-before.Calls[sandbox.OpInvite]).To(Equal(1), "one bulk invite for the plan's sends")
	g.Expect(after.Calls[sandbox.OpRevoke] - before.Calls[sandbox.OpRevoke]).To(Equal(1))
	g.Expect(after.Calls[sandbox.OpResend] - before.Calls[sandbox.OpResend]).To(Equal(1))
	var sent, resent, revoked []string
	for _, d := range after.Ledger[len(before.Ledger):] {
		switch d.Kind {
		case sandbox.DeliveryInvite:
			sent = append(sent, d.Email)
		case sandbox.DeliveryResend:
			resent = append(resent, d.Email)
		}
	}
	for _, inv := range after.Invites {
		if inv.State == sandbox.StateRevoked {
			revoked = append(revoked, inv.Email)
		}
	}
	g.Expect(sent).To(ConsistOf(emailsOfPlan(plan.Send)))
	g.Expect(resent).To(ConsistOf(emailsOfPlan(plan.Resend)))
	g.Expect(revoked).To(ConsistOf(emailsOfPlan(plan.Revoke)))
}

func emailsOfPlan(a *invv1.PlannedAction) []string {
	out := make([]string, 0, len(a.Emails))
	for _, e := range a.Emails {
		out = append(out, e.Email)
	}
	return out
}
