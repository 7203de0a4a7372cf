package main

import (
	"context"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/test/harness"
)

// The ways a run can create its objects.
const (
	// createGo makes, from the bench, exactly the requests kubectl apply makes (the default: as fast as
	// the API server allows, and the same per object for the floor and the manager).
	createGo = "go"
	// createKubectl runs the real kubectl apply -f on multi-document files of kubectlChunk objects.
	createKubectl = "kubectl"
)

// kubectlChunk is how many objects one kubectl apply -f file holds, and kubectlParallel how many kubectl
// processes run at once: the way a pipeline applies a directory of manifests, a few at a time.
const kubectlChunk, kubectlParallel = 250, 4

// createParallel is how many objects the bench creates at once with createGo.
const createParallel = 16

// create creates objs the way users do: objs[k] is created with harness.ModeOf(k) (half client-side
// apply, half server-side apply).
func create(ctx context.Context, h *harness.Harness, method string, objs []*invv1.SiteInvitation) error {
	if method == createKubectl {
		return kubectlCreate(ctx, h, objs)
	}
	return harness.Parallel(len(objs), createParallel, func(k int) error {
		return h.Apply(ctx, objs[k], harness.ModeOf(k))
	})
}

// kubectlCreate applies objs with the real kubectl in chunks of one mode each.
func kubectlCreate(ctx context.Context, h *harness.Harness, objs []*invv1.SiteInvitation) error {
	type chunk struct {
		mode harness.ApplyMode
		objs []*invv1.SiteInvitation
	}
	var chunks []chunk
	open := map[harness.ApplyMode]*chunk{}
	for k, obj := range objs {
		mode := harness.ModeOf(k)
		c := open[mode]
		if c == nil {
			c = &chunk{mode: mode}
			open[mode] = c
		}
		c.objs = append(c.objs, obj)
		if len(c.objs) == kubectlChunk {
			chunks = append(chunks, *c)
			delete(open, mode)
		}
	}
	for _, mode := range []harness.ApplyMode{harness.ClientSideApply, harness.ServerSideApply} {
		if c := open[mode]; c != nil {
			chunks = append(chunks, *c)
		}
	}
	return harness.Parallel(len(chunks), kubectlParallel, func(i int) error {
		return h.KubectlApply(ctx, chunks[i].objs, chunks[i].mode)
	})
}
