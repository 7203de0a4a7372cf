package controller_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// TestResendTokenActsOnce: each new resend token emails every pending or expired invite exactly once
// more; an accepted invite is not touched, and an old token does nothing.
func TestResendTokenActsOnce(t *testing.T) {
	for _, p := range []invv1.ProviderType{invv1.ProviderWix, invv1.ProviderWordPress} {
		t.Run(string(p), func(t *testing.T) {
			w := startedWorld(t)
			list := emails("resend", 4)
			site, fake := w.fake(p)
			w.create(w.invitation("obj", p, list...))
			w.eventually("obj", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
				ready(g, o)
				for _, s := range o.Status.Sent {
					g.Expect(s.InviteID).NotTo(BeEmpty(), "resend needs the invite key")
				}
			})
			g := NewWithT(t)
			g.Expect(fake.Accept(site, list[0])).To(Succeed())
			g.Expect(fake.Expire(site, list[1])).To(Succeed())
			// The refresh must have seen the acceptance before the token, or the accepted invite would be
			// resent as a pending one (Wix sees acceptances through its contributors list).
			w.acceptedOnce("obj")

			emailsTo := func() []int {
				snap := fake.Snapshot()
				out := make([]int, len(list))
				for i, e := range list {
					out[i] = snap.Emails(site, e)
				}
				return out
			}
			for round, token := range []string{"first", "second"} {
				w.update("obj", func(o *invv1.SiteInvitation) { o.Annotations = map[string]string{invv1.ResendAnnotation: token} })
				w.eventually("obj", 20*time.Second, func(g Gomega, o *invv1.SiteInvitation) {
					g.Expect(o.Status.LastHandledResend).To(Equal(token))
				})
				n := 2 + round
				g.Eventually(emailsTo).WithTimeout(10*time.Second).Should(Equal([]int{1, n, n, n}), "token %s", token)
				g.Consistently(emailsTo).WithTimeout(testResync).Should(Equal([]int{1, n, n, n}), "token %s acts once", token)
			}
			w.expectEvent("obj", invv1.EventInvitesResent)
		})
	}
}
