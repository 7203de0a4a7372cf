// Package v1alpha1 contains the invitations.siteops.dev/v1alpha1 API: SiteInvitation, which declares who is
// invited to a website, and InvitationProvider / ClusterInvitationProvider, which hold how to reach the
// site builder's invite API.
//
// +kubebuilder:object:generate=true
// +groupName=invitations.siteops.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the API group and version every kind in this package is served under.
	GroupVersion = schema.GroupVersion{Group: "invitations.siteops.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the kinds of this package to a scheme; the manager and tests call it once.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&SiteInvitation{}, &SiteInvitationList{},
		&InvitationProvider{}, &InvitationProviderList{},
		&ClusterInvitationProvider{}, &ClusterInvitationProviderList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
