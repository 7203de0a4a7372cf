// Package controller holds the reconcilers of SiteInvitation, InvitationProvider and
// ClusterInvitationProvider. Provider work goes through the small interface in internal/provider; the
// ledger (desired emails vs status → plan) is pure and kept apart from I/O.
package controller

// The permissions the reconcilers need; `make manifests` turns these markers into config/rbac/role.yaml.
// Secrets: get only, read on demand through an uncached reader (no list/watch of Secrets cluster-wide).
//
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=siteinvitations;invitationproviders;clusterinvitationproviders,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=siteinvitations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=invitationproviders/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=clusterinvitationproviders/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=invitations.siteops.dev,resources=siteinvitations/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
