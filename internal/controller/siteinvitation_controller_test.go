package controller

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

// These tests drive Reconcile with a fake clock, where the protocol's timing is the point: nothing is
// sent while an intent record may still be in use elsewhere, and nothing is called before a provider's
// Retry-After. The envtest suite covers the same protocol against the real API server and sandbox.

// fakeProvider is a provider.Client that records calls and shows what it was sent as pending.
type fakeProvider struct {
	mu      sync.Mutex
	caps    provider.Capabilities
	fail    []error // whole-request errors for the next sends, in order
	invited map[string]string
	calls   []string
	// resendTTL, when set, is the validity a resend gives, from now.
	resendTTL time.Duration
	now       func() time.Time
}

func newFakeProvider() *fakeProvider {
	return &fakeProvider{caps: provider.Capabilities{BatchSize: 20, ListsPending: true, Revokes: true}, invited: map[string]string{}}
}

func (f *fakeProvider) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeProvider) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeProvider) Capabilities() provider.Capabilities { return f.caps }

func (f *fakeProvider) Send(_ context.Context, b provider.Batch) ([]provider.Outcome, error) {
	f.record("send")
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		return nil, err
	}
	out := make([]provider.Outcome, len(b.Emails))
	for i, e := range b.Emails {
		f.invited[e] = fmt.Sprintf("inv-%d", len(f.invited))
		out[i] = provider.Outcome{Email: e, InviteID: f.invited[e]}
	}
	return out, nil
}

func (f *fakeProvider) Observe(context.Context, string, provider.Query) ([]provider.Observation, error) {
	f.record("observe")
	f.mu.Lock()
	defer f.mu.Unlock()
	obs := make([]provider.Observation, 0, len(f.invited))
	for e, id := range f.invited {
		obs = append(obs, provider.Observation{Email: e, InviteID: id, State: provider.Pending})
	}
	return obs, nil
}

func (f *fakeProvider) Revoke(context.Context, string, string) error { f.record("revoke"); return nil }

func (f *fakeProvider) Resend(_ context.Context, r provider.ResendRequest) (provider.Resent, error) {
	f.record("resend")
	out := provider.Resent{InviteID: r.InviteID}
	if f.resendTTL > 0 {
		out.ExpiresAt = f.now().Add(f.resendTTL)
	}
	return out, nil
}

func (f *fakeProvider) Verify(context.Context) error { return nil }

// clockWorld is one object, its provider and Secret in a fake API, reconciled with a fake clock.
type clockWorld struct {
	t     *testing.T
	c     client.Client
	clock *clocktesting.FakeClock
	fp    *fakeProvider
	r     *SiteInvitationReconciler
}

func newClockWorld(t *testing.T, status invv1.SiteInvitationStatus, emails ...string) *clockWorld {
	return newClockWorldWith(t, status, nil, emails...)
}

// newClockWorldWith is newClockWorld with more objects in the fake API (and the object changed by edit).
func newClockWorldWith(t *testing.T, status invv1.SiteInvitationStatus, edit func(*invv1.SiteInvitation, *[]client.Object), emails ...string) *clockWorld {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, invv1.AddToScheme, apiextensionsv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	obj := &invv1.SiteInvitation{ObjectMeta: metav1.ObjectMeta{Name: "blog", Namespace: "ns", Generation: 1},
		Spec: invv1.SiteInvitationSpec{Provider: invv1.ProviderWordPress, ProviderRef: invv1.ProviderReference{Name: "wp"},
			Site: "example.wordpress.com", Roles: []string{"author"}, Emails: emails, RemovalPolicy: invv1.RemovalPolicyKeep},
		Status: status}
	prov := &invv1.InvitationProvider{ObjectMeta: metav1.ObjectMeta{Name: "wp", Namespace: "ns", Generation: 1},
		Spec: invv1.InvitationProviderSpec{ProviderSpec: invv1.ProviderSpec{WordPress: &invv1.WordPressProviderSpec{},
			SecretRef: invv1.SecretKeyReference{Name: "wp", Key: "token"}}}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "wp", Namespace: "ns"}, Data: map[string][]byte{"token": []byte("t")}}
	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: siteInvitationCRD}}
	objects := []client.Object{prov, secret}
	if edit != nil {
		edit(obj, &objects)
	}
	if !slices.ContainsFunc(objects, func(o client.Object) bool { return o.GetName() == siteInvitationCRD }) {
		objects = append(objects, crd)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&invv1.SiteInvitation{}).
		WithObjects(append(objects, obj)...).Build()
	w := &clockWorld{t: t, c: c, clock: clocktesting.NewFakeClock(t0), fp: newFakeProvider()}
	w.fp.now = w.clock.Now
	w.r = &SiteInvitationReconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(100),
		Providers: &Providers{SecretReader: c, NewClient: func(provider.Config) (provider.Client, error) { return w.fp, nil }},
		Metrics:   NewMetrics(prometheus.NewRegistry()), Clock: w.clock, ResyncPeriod: 10 * time.Minute,
		SendDeadline: 2 * time.Minute, RetryBase: 30 * time.Second, Rand: func() float64 { return 0.5 }}
	return w
}

func (w *clockWorld) reconcile() ctrl.Result {
	w.t.Helper()
	res, err := w.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: "ns", Name: "blog"}})
	if err != nil {
		w.t.Fatalf("reconcile: %v", err)
	}
	return res
}

func (w *clockWorld) object() *invv1.SiteInvitation {
	w.t.Helper()
	obj := &invv1.SiteInvitation{}
	if err := w.c.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: "blog"}, obj); err != nil {
		w.t.Fatal(err)
	}
	return obj
}

// TestInFlightWaitsForTheSendDeadline: another manager may still be inside the send an intent record
// announces, so nothing is called until the deadline; then the record is settled by looking.
func TestInFlightWaitsForTheSendDeadline(t *testing.T) {
	t.Parallel()
	intent := &invv1.InFlightBatch{ID: "other", Emails: []string{"a@x.io"}, Roles: []string{"author"}, StartedAt: metav1.NewTime(t0)}
	w := newClockWorld(t, invv1.SiteInvitationStatus{InFlight: intent}, "a@x.io", "b@x.io")
	w.fp.invited["a@x.io"] = "inv-other" // the other manager's send landed

	w.clock.SetTime(t0.Add(90 * time.Second))
	if res := w.reconcile(); res.RequeueAfter != 30*time.Second {
		t.Fatalf("come back at the deadline (30 s from now), got %v", res.RequeueAfter)
	}
	if calls := w.fp.Calls(); len(calls) != 0 {
		t.Fatalf("no provider call before the deadline, got %v", calls)
	}
	if got := condition(w.object(), invv1.ConditionReady); got != "False/"+invv1.ReasonWaitingForInFlight {
		t.Fatalf("Ready %s", got)
	}

	w.clock.SetTime(t0.Add(2 * time.Minute))
	w.reconcile()
	obj := w.object()
	if obj.Status.InFlight != nil || len(obj.Status.Sent) != 2 {
		t.Fatalf("settled and the rest sent: %+v", obj.Status)
	}
	// One look settles a; b was never tried, so the send step looks once more for an invite to adopt.
	if calls := w.fp.Calls(); !slices.Equal(calls, []string{"observe", "observe", "send"}) {
		t.Fatalf("a settled by looking, b sent once: %v", calls)
	}
}

// TestRetryAfterHoldsEveryCall: a 429's Retry-After is honoured to the second, and the object says when
// it comes back.
func TestRetryAfterHoldsEveryCall(t *testing.T) {
	t.Parallel()
	w := newClockWorld(t, invv1.SiteInvitationStatus{}, "a@x.io")
	w.fp.caps.ListsPending = false // no adoption look: the send is the first call
	w.fp.fail = []error{&provider.TransientError{StatusCode: 429, RetryAfter: 45 * time.Second}}
	if res := w.reconcile(); res.RequeueAfter != 45*time.Second {
		t.Fatalf("come back after Retry-After, got %v", res.RequeueAfter)
	}
	obj := w.object()
	if len(obj.Status.Failed) != 1 || obj.Status.Failed[0].Reason != invv1.FailureRateLimited || !obj.Status.Failed[0].NextAttemptAt.Equal(ptrTime(t0.Add(45*time.Second))) {
		t.Fatalf("failed entry: %+v", obj.Status.Failed)
	}

	w.clock.SetTime(t0.Add(44 * time.Second))
	if res := w.reconcile(); res.RequeueAfter != time.Second {
		t.Fatalf("one second left, got %v", res.RequeueAfter)
	}
	if calls := w.fp.Calls(); len(calls) != 1 {
		t.Fatalf("no call before Retry-After has passed: %v", calls)
	}
	w.clock.SetTime(t0.Add(45 * time.Second))
	w.reconcile()
	if calls := w.fp.Calls(); !slices.Equal(calls, []string{"send", "send"}) || len(w.object().Status.Sent) != 1 {
		t.Fatalf("sent once the hold passed: %v, %+v", calls, w.object().Status)
	}
}

func ptrTime(t time.Time) *metav1.Time { m := metav1.NewTime(t); return &m }

func condition(obj *invv1.SiteInvitation, typ string) string {
	for _, c := range obj.Status.Conditions {
		if c.Type == typ {
			return string(c.Status) + "/" + c.Reason
		}
	}
	return ""
}

// TestUninstallNeverRevokes: deleting a SiteInvitation under removalPolicy Revoke revokes its pending
// invites; the same object deleted because its CRD is being deleted (an uninstall) lets go without a call.
func TestUninstallNeverRevokes(t *testing.T) {
	t.Parallel()
	pending := invv1.SiteInvitationStatus{Sent: []invv1.SentInvitation{{Email: "a@x.io", InviteID: "inv-a", State: invv1.InvitationPending,
		SentAt: metav1.NewTime(t0)}}}
	deleting := func(crdGoing bool) func(*invv1.SiteInvitation, *[]client.Object) {
		return func(obj *invv1.SiteInvitation, objects *[]client.Object) {
			now := metav1.NewTime(t0)
			obj.Spec.RemovalPolicy = invv1.RemovalPolicyRevoke
			obj.Finalizers = []string{invv1.FinalizerName}
			obj.DeletionTimestamp = &now
			if crdGoing {
				*objects = append(*objects, &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{
					Name: siteInvitationCRD, DeletionTimestamp: &now, Finalizers: []string{"customresourcecleanup.apiextensions.k8s.io"}}})
			}
		}
	}
	for _, tc := range []struct {
		name      string
		crdGoing  bool
		wantCalls []string
	}{
		{name: "the user deletes the object: its pending invites are revoked", wantCalls: []string{"revoke"}},
		{name: "the CRD is being deleted: nothing is revoked", crdGoing: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newClockWorldWith(t, pending, deleting(tc.crdGoing), "a@x.io")
			w.reconcile()
			if calls := w.fp.Calls(); !slices.Equal(calls, tc.wantCalls) {
				t.Fatalf("provider calls %v, want %v", calls, tc.wantCalls)
			}
			obj := &invv1.SiteInvitation{}
			err := w.c.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: "blog"}, obj)
			if !apierrors.IsNotFound(err) {
				t.Fatalf("the finalizer must be gone and the object with it: %v %+v", err, obj.Finalizers)
			}
		})
	}
}
