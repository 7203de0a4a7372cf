package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// nudge is one of the one-off requests a user makes with an annotation whose new token the operator
// echoes in status once handled.
type nudge struct {
	verb, annotation, short, long string
	handled                       func(*invv1.SiteInvitationStatus) string
}

var (
	nudgeRetry = nudge{verb: "retry", annotation: invv1.RetryAnnotation,
		short: "Retry a SiteInvitation's permanent and OutcomeUnknown failures once, and wait until the operator has",
		long: "retry sets the " + invv1.RetryAnnotation + " annotation to a fresh token (an RFC 3339 timestamp) and waits until " +
			"status.lastHandledRetry shows it and the send is settled; then it prints the outcome. OutcomeUnknown people may get a second email.",
		handled: func(st *invv1.SiteInvitationStatus) string { return st.LastHandledRetry }}
	nudgeResend = nudge{verb: "resend", annotation: invv1.ResendAnnotation,
		short: "Resend the email of every Pending or Expired invite once, and wait until the operator has",
		long: "resend sets the " + invv1.ResendAnnotation + " annotation to a fresh token (an RFC 3339 timestamp) and waits until " +
			"status.lastHandledResend shows it; then it prints the outcome.",
		handled: func(st *invv1.SiteInvitationStatus) string { return st.LastHandledResend }}
)

func newNudgeCommand(o *options, n nudge) *cobra.Command {
	var timeout time.Duration
	var waitFor bool
	cmd := &cobra.Command{
		Use:     n.verb + " NAME",
		Short:   n.short,
		Long:    n.long,
		Example: "  kubectl invitations " + n.verb + " -n marketing blog-authors --timeout 5m",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, obj, err := o.named(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if obj.Spec.Suspend && waitFor {
				return fmt.Errorf("%s/%s is suspended (spec.suspend: true): the operator handles no request until it resumes; "+
					"use --wait=false to leave the request for then", obj.Namespace, obj.Name)
			}
			token := o.now().UTC().Format(time.RFC3339Nano)
			if err := c.annotate(cmd.Context(), obj, n.annotation, token); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(o.streams.ErrOut, "%s requested for %s/%s (%s=%s)\n", n.verb, obj.Namespace, obj.Name, n.annotation, token)
			if !waitFor {
				return nil
			}
			done, err := c.waitHandled(cmd.Context(), obj.Name, n, token, timeout)
			if err != nil {
				return err
			}
			ex := explainOf(done)
			if o.output == outputJSON || o.output == outputYAML {
				return o.printData(map[string]any{"token": token, "handled": true, "result": ex})
			}
			_, _ = fmt.Fprintf(o.streams.Out, "%s handled.\n", n.verb)
			return o.printExplanation(ex)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "How long to wait for the operator to handle the request.")
	cmd.Flags().BoolVar(&waitFor, "wait", true, "Wait until the operator has handled the request (--wait=false only sets the annotation).")
	return cmd
}

// annotate sets one annotation with a merge patch: nothing else of the object is written, so it cannot
// conflict with the operator's writes.
func (c *cluster) annotate(ctx context.Context, obj object, key, value string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{key: value}}})
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(siteInvitationGVK)
	u.SetNamespace(obj.Namespace)
	u.SetName(obj.Name)
	return c.client.Patch(ctx, u, client.RawPatch(types.MergePatchType, patch))
}

// waitHandled polls (bounded by timeout) until the operator echoes token and has settled what it
// started for it: no send in flight and the spec fully processed.
func (c *cluster) waitHandled(ctx context.Context, name string, n nudge, token string, timeout time.Duration) (object, error) {
	var last object
	echoed := false
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		obj, err := c.get(ctx, name)
		switch {
		case apierrors.IsNotFound(err):
			return false, err // deleted meanwhile: nothing will handle the request
		case err != nil:
			return false, nil // a passing API error, or the deadline reached mid-request: poll on, or report the timeout
		}
		last = obj
		echoed = n.handled(&obj.Status) == token
		ready := meta.FindStatusCondition(obj.Status.Conditions, invv1.ConditionReady)
		settled := obj.Status.InFlight == nil && obj.Status.ObservedGeneration == obj.Generation && ready != nil
		return echoed && settled, nil
	})
	switch {
	case err == nil:
		return last, nil
	case errors.Is(err, context.DeadlineExceeded) && echoed:
		return last, fmt.Errorf("the operator took the %s request but its sends were not settled within %s; "+
			"kubectl invitations explain %s shows where they stand", n.verb, timeout, name)
	case errors.Is(err, context.DeadlineExceeded):
		return last, fmt.Errorf("the operator did not handle the %s request within %s: is it running, and does its shard "+
			"select this object? The annotation stays set and acts when the operator next reconciles", n.verb, timeout)
	}
	return last, err
}
