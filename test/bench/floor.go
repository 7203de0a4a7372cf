package main

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
	"github.com/siteops/invitation-operator/internal/provider/providers"
	"github.com/siteops/invitation-operator/internal/sandbox"
	"github.com/siteops/invitation-operator/test/harness"
)

// floorClients are plain provider clients for the floor, one per provider type, without a rate limiter.
func floorClients(h *harness.Harness) (map[invv1.ProviderType]provider.Client, error) {
	clients := map[invv1.ProviderType]provider.Client{}
	seed := sandbox.DefaultConfig()
	for t, cfg := range map[invv1.ProviderType]provider.Config{
		invv1.ProviderWix:       {Type: provider.Wix, BaseURL: h.WixURL, Credential: seed.Wix.APIKeys[0].Secret},
		invv1.ProviderWordPress: {Type: provider.WordPress, BaseURL: h.WPURL, Credential: seed.WordPress.Tokens[0].Secret},
	} {
		cl, err := providers.New(cfg)
		if err != nil {
			return nil, err
		}
		clients[t] = cl
	}
	return clients, nil
}

// floorWork does, with a plain client, exactly the work the protocol cannot avoid for one object that
// exists: for WordPress.com one list of the site's invites (the adoption look before a first send), and
// per batch one intent write, the provider call, one outcome write.
func floorWork(ctx context.Context, h *harness.Harness, clients map[invv1.ProviderType]provider.Client, obj *invv1.SiteInvitation) error {
	cl := clients[obj.Spec.Provider]
	if cl.Capabilities().ListsPending {
		if _, err := cl.Observe(ctx, obj.Spec.Site, provider.Query{Emails: obj.Spec.Emails}); err != nil {
			return err
		}
	}
	for _, batch := range chunks(obj.Spec.Emails, cl.Capabilities().BatchSize) {
		obj.Status.InFlight = &invv1.InFlightBatch{ID: rand.String(16), Emails: batch, Roles: obj.Spec.Roles, StartedAt: metav1.Now()}
		if err := h.Client.Status().Update(ctx, obj); err != nil {
			return err
		}
		outcomes, err := cl.Send(ctx, provider.Batch{Site: obj.Spec.Site, Emails: batch, Roles: obj.Spec.Roles})
		if err != nil {
			return err
		}
		for _, o := range outcomes {
			obj.Status.Sent = append(obj.Status.Sent, invv1.SentInvitation{Email: o.Email, InviteID: o.InviteID, Roles: obj.Spec.Roles,
				SentAt: metav1.Now(), State: invv1.InvitationPending})
		}
		obj.Status.InFlight = nil
		if err := h.Client.Status().Update(ctx, obj); err != nil {
			return err
		}
	}
	return nil
}

// runFloor creates n objects the way users do and does each one's unavoidable work, at the manager's
// concurrency, on a fresh world; its time is the floor. With -create kubectl the real kubectl applies the
// objects in chunks, as for the manager, and the workers take each object from a watch as it is stored,
// as the manager does; with -create go each worker creates its object (the exact requests of kubectl
// apply) and goes on with it.
func runFloor(c config, n int) (time.Duration, error) {
	h, ctx, stop, err := start(c, n, harness.Options{})
	if err != nil {
		return 0, err
	}
	defer stop()
	clients, err := floorClients(h)
	if err != nil {
		return 0, err
	}
	objs := objects(h, c, 0, n, nil)
	begin := time.Now()
	if c.create == createGo {
		err = harness.Parallel(n, c.workers, func(i int) error {
			if err := h.Apply(ctx, objs[i], harness.ModeOf(i)); err != nil {
				return err
			}
			return floorWork(ctx, h, clients, objs[i])
		})
		return time.Since(begin), err
	}
	// The workers learn of each object from a watch, as the manager does, and take it from there.
	w, err := h.Client.Watch(ctx, &invv1.SiteInvitationList{}, client.InNamespace(harness.Namespace))
	if err != nil {
		return 0, err
	}
	defer w.Stop()
	created := make(chan error, 1)
	go func() { created <- kubectlCreate(ctx, h, objs) }()
	ready := make(chan *invv1.SiteInvitation, n)
	go func() {
		defer close(ready)
		seen := 0
		for ev := range w.ResultChan() {
			if obj, ok := ev.Object.(*invv1.SiteInvitation); ok && ev.Type == watch.Added {
				ready <- obj
				if seen++; seen == n {
					return
				}
			}
		}
	}()
	err = harness.Parallel(n, c.workers, func(int) error {
		obj, ok := <-ready
		if !ok {
			return fmt.Errorf("the watch ended before every object was seen")
		}
		return floorWork(ctx, h, clients, obj)
	})
	if cerr := <-created; cerr != nil {
		return 0, cerr
	}
	return time.Since(begin), err
}

func chunks(s []string, size int) [][]string {
	var out [][]string
	for len(s) > 0 {
		k := min(size, len(s))
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}
