package main

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
)

// object is one SiteInvitation read as unstructured JSON and converted: fields that a newer operator
// writes and this plugin does not know are ignored, fields an older operator never wrote stay empty, so
// the plugin works with operators older and newer than itself.
type object struct {
	*invv1.SiteInvitation
}

var siteInvitationGVK = invv1.GroupVersion.WithKind("SiteInvitation")

// cluster is the API the commands talk to.
type cluster struct {
	client client.Client
	// namespace is -n, or the kubeconfig context's namespace; explicit says -n was given.
	namespace string
	explicit  bool
	all       bool
}

func (o *options) cluster() (*cluster, error) {
	cfg, err := o.config.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := invv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	ns, _, err := o.config.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, err
	}
	return &cluster{client: c, namespace: ns, explicit: o.config.Namespace != nil && *o.config.Namespace != "", all: o.allNamespaces}, nil
}

// list returns the SiteInvitations of the namespace, or of every namespace with -A (or everywhere, when
// the command looks everywhere unless -n is given).
func (c *cluster) list(ctx context.Context, everywhereByDefault bool) ([]object, error) {
	u := &unstructured.UnstructuredList{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: siteInvitationGVK.Group, Version: siteInvitationGVK.Version, Kind: "SiteInvitationList"})
	var opts []client.ListOption
	if !c.all && (c.explicit || !everywhereByDefault) {
		opts = append(opts, client.InNamespace(c.namespace))
	}
	if err := c.client.List(ctx, u, opts...); err != nil {
		return nil, err
	}
	out := make([]object, 0, len(u.Items))
	for i := range u.Items {
		obj, err := toObject(&u.Items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}

// named connects and reads the named SiteInvitation of the namespace: what every one-object command
// starts with.
func (o *options) named(ctx context.Context, name string) (*cluster, object, error) {
	c, err := o.cluster()
	if err != nil {
		return nil, object{}, err
	}
	obj, err := c.get(ctx, name)
	return c, obj, err
}

// get returns the named SiteInvitation of the namespace.
func (c *cluster) get(ctx context.Context, name string) (object, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(siteInvitationGVK)
	if err := c.client.Get(ctx, client.ObjectKey{Namespace: c.namespace, Name: name}, u); err != nil {
		return object{}, err
	}
	return toObject(u)
}

func toObject(u *unstructured.Unstructured) (object, error) {
	typed := &invv1.SiteInvitation{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, typed); err != nil {
		return object{}, fmt.Errorf("reading SiteInvitation %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	return object{SiteInvitation: typed}, nil
}
