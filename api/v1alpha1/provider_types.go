package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kinds a SiteInvitation's providerRef may name.
const (
	// InvitationProviderKind is the namespaced provider kind.
	InvitationProviderKind = "InvitationProvider"
	// ClusterInvitationProviderKind is the cluster-scoped provider kind.
	ClusterInvitationProviderKind = "ClusterInvitationProvider"
)

// WixProviderSpec configures Wix Site Invites. The Secret key holds an account-level Wix API key.
type WixProviderSpec struct {
	// accountID is the Wix account GUID, sent as the wix-account-id header. Optional: Wix identifies the
	// site by the SiteInvitation's site ID (wix-site-id header); set it when your API key needs it.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// +kubebuilder:validation:MaxLength=36
	AccountID string `json:"accountID,omitempty"`
}

// WordPressProviderSpec configures WordPress.com invites. The Secret key holds an OAuth2 bearer token of a
// user who may promote users on the sites it serves.
type WordPressProviderSpec struct{}

// GhostKeyType is the kind of Ghost Admin API key a provider's Secret holds; the two look alike.
// +kubebuilder:validation:Enum=StaffToken;Integration
type GhostKeyType string

const (
	// GhostStaffToken is a staff user's access token (Ghost Admin → your profile → Staff access token): it
	// may create, list and revoke invites, so a send whose answer was lost is settled by listing.
	GhostStaffToken GhostKeyType = "StaffToken"
	// GhostIntegration is a custom integration's Admin API key: it may only create invites. A lost answer
	// is an unknown outcome (as on Wix), invites cannot be revoked, and Administrator invites are refused.
	GhostIntegration GhostKeyType = "Integration"
)

// GhostProviderSpec configures Ghost's Admin API. A Ghost site is addressed by its URL, which is also where
// the operator connects, so the provider pins the sites its key serves. The Secret key holds the Admin
// API key as "<24-hex id>:<64-hex secret>".
type GhostProviderSpec struct {
	// keyType is the kind of key in the Secret: StaffToken (recommended: invites can be listed and
	// revoked, so a lost answer is settled automatically) or Integration (create-only: a lost answer stays
	// an unknown outcome until a human retries, removalPolicy Revoke cannot revoke, and Administrator
	// invites are refused). The credential check confirms the kind.
	// +required
	KeyType GhostKeyType `json:"keyType"`

	// sites are the Ghost sites this key serves, by URL (https://blog.example.com, or a site in a
	// subdirectory such as https://example.com/blog): https on an InvitationProvider; on a
	// ClusterInvitationProvider plain http too, only to a loopback address (local runs). The operator
	// connects only to these, checked again at dial time; a SiteInvitation for any other site stalls. 1 to
	// 20, each at most 253 characters.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:XValidation:rule="isURL(self) && url(self).getScheme() in ['https', 'http'] && url(self).getHostname() != '' && !self.contains('@') && !self.contains('?') && !self.contains('#')",message="spec.ghost.sites must be absolute http(s) URLs without user info, a query or a fragment, such as https://blog.example.com"
	Sites []string `json:"sites"`
}

// SecretKeyReference names one key of a Secret that holds a provider credential.
type SecretKeyReference struct {
	// name is the Secret's name: a Kubernetes object name (lowercase letters, digits, '-' and '.'), at most
	// 253 characters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="secretRef.name must be a Kubernetes object name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	Name string `json:"name"`

	// namespace is the Secret's namespace. On ClusterInvitationProvider it is optional and defaults to the
	// operator's cluster resource namespace (the manager's --cluster-resource-namespace, by default the
	// namespace the operator runs in), which is also the only namespace allowed: the operator never reads a
	// ClusterInvitationProvider's Secret anywhere else. Not allowed on InvitationProvider, whose Secret is
	// always in its own namespace.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="secretRef.namespace must be a namespace name: lowercase letters, digits and '-', starting and ending with a letter or digit"
	Namespace string `json:"namespace,omitempty"`

	// key is the data key inside the Secret, at most 253 characters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// RateLimit is a token bucket shared by every SiteInvitation that uses one provider object.
type RateLimit struct {
	// requestsPerMinute is the sustained rate of provider API calls, 1 to 6000.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=6000
	RequestsPerMinute int32 `json:"requestsPerMinute"`

	// burst is how many calls may go out at once after a quiet spell, 1 to 100. Defaults to 1.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Burst int32 `json:"burst,omitempty"`
}

// ProviderSpec is how to talk to one provider account: which provider, the credential, and the limits every
// user of it shares.
type ProviderSpec struct {
	// wix selects Wix Site Invites. Exactly one of wix, wordpress and ghost is set.
	// +optional
	Wix *WixProviderSpec `json:"wix,omitempty"`

	// wordpress selects WordPress.com invites. Exactly one of wix, wordpress and ghost is set.
	// +optional
	WordPress *WordPressProviderSpec `json:"wordpress,omitempty"`

	// ghost selects Ghost's Admin API (staff invitations), for the sites it lists. Exactly one of wix,
	// wordpress and ghost is set.
	// +optional
	Ghost *GhostProviderSpec `json:"ghost,omitempty"`

	// secretRef names the Secret key holding the credential: the Wix API key, or the WordPress.com OAuth2
	// token. The operator reads it on demand and never caches Secrets cluster-wide.
	// +required
	SecretRef SecretKeyReference `json:"secretRef"`

	// rateLimit caps provider calls made with this credential, shared by every SiteInvitation using this
	// provider. Defaults: Wix 100 requests per minute, WordPress 60, Ghost 60.
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`

	// batchSize is how many emails go in one invite request, 1 to 50. Defaults: Wix 5 (an unanswered Wix
	// request leaves every email in it in doubt, so batches stay small), WordPress 20.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=50
	BatchSize int32 `json:"batchSize,omitempty"`

	// policy limits what SiteInvitations may ask of this credential: which sites, roles and email domains,
	// and how many emails one object may hold. A SiteInvitation may ask for less than the policy allows,
	// never more; what is outside it is not sent, and the object says which rule stopped it. The policy in
	// force is checked on every reconcile, so loosening it lets held emails go out without editing the
	// SiteInvitation; tightening it never revokes anything. Absent: no limit beyond the CRD's own.
	// +optional
	Policy *ProviderPolicy `json:"policy,omitempty"`
}

// ProviderPolicy is what a provider's credential may be used for. Every list is an allow-list; an empty or
// absent list allows anything. Patterns match case-insensitively, and '*' stands for any run of
// characters (including dots): "*.example.com" matches "blog.example.com" and "a.b.example.com", not
// "example.com".
type ProviderPolicy struct {
	// allowedSites are the sites SiteInvitations may name in spec.site: exact values ("example.wordpress.com",
	// a Wix site GUID, a Ghost site URL) or patterns ("*.wordpress.com"). At most 50, each at most 253
	// characters.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=253
	AllowedSites []string `json:"allowedSites,omitempty"`

	// allowedRoles are the roles SiteInvitations may ask for in spec.roles (WordPress role names, Wix role
	// IDs, Ghost role names), exact values or patterns. A SiteInvitation asking for any other role sends
	// nothing. At most 20, each at most 64 characters.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=64
	AllowedRoles []string `json:"allowedRoles,omitempty"`

	// allowedEmailDomains are the domains invited emails may have: "example.com" (exactly that domain) or
	// "*.example.com" (any subdomain). Emails of other domains are not sent; each is listed in status.failed
	// with reason NotAllowed, and the others go out. At most 50, each at most 253 characters.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`
	AllowedEmailDomains []string `json:"allowedEmailDomains,omitempty"`

	// maxEmailsPerObject is the most emails one SiteInvitation may list, 1 to 500. A SiteInvitation with
	// more sends nothing until it is split or the limit is raised. Absent: 500, the CRD's own limit.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=500
	MaxEmailsPerObject int32 `json:"maxEmailsPerObject,omitempty"`
}

// Type returns which provider the spec selects, or "" when none is (the CRD forbids that).
func (s *ProviderSpec) Type() ProviderType {
	switch {
	case s.Wix != nil:
		return ProviderWix
	case s.WordPress != nil:
		return ProviderWordPress
	case s.Ghost != nil:
		return ProviderGhost
	}
	return ""
}

// InvitationProviderSpec is a ProviderSpec whose Secret lives in the provider's own namespace.
//
// +kubebuilder:validation:XValidation:rule="[has(self.wix), has(self.wordpress), has(self.ghost)].filter(x, x).size() == 1",message="set exactly one of spec.wix, spec.wordpress and spec.ghost"
// +kubebuilder:validation:XValidation:rule="!has(self.secretRef.__namespace__)",message="spec.secretRef.namespace is not allowed on InvitationProvider: the Secret must be in the provider's namespace"
// +kubebuilder:validation:XValidation:rule="!has(self.ghost) || self.ghost.sites.all(s, s.lowerAscii().startsWith('https://'))",message="spec.ghost.sites must use https on an InvitationProvider; plain http to a loopback address is allowed only on a ClusterInvitationProvider"
type InvitationProviderSpec struct {
	ProviderSpec `json:",inline"`
}

// ClusterInvitationProviderSpec is a ProviderSpec usable from many namespaces, owned by the platform team.
//
// +kubebuilder:validation:XValidation:rule="[has(self.wix), has(self.wordpress), has(self.ghost)].filter(x, x).size() == 1",message="set exactly one of spec.wix, spec.wordpress and spec.ghost"
// +kubebuilder:validation:XValidation:rule="!has(self.ghost) || self.ghost.sites.all(s, !s.lowerAscii().startsWith('http://') || s.lowerAscii().matches('^http://(localhost|127\\\\.[0-9]{1,3}\\\\.[0-9]{1,3}\\\\.[0-9]{1,3}|\\\\[::1\\\\])(:[0-9]{1,5})?(/.*)?$'))",message="spec.ghost.sites must use https; plain http is allowed only to a loopback address (127.0.0.0/8, [::1], localhost)"
type ClusterInvitationProviderSpec struct {
	ProviderSpec `json:",inline"`

	// baseURL overrides the provider's API endpoint, for a sandbox or a proxy: https, or http only to a
	// loopback address (127.0.0.0/8, [::1], localhost), checked on the parsed URL whatever its case. No
	// user info, query or fragment; at most 256 characters. Only cluster administrators can set it, and
	// the operator refuses at dial time, after DNS, link-local, cloud-metadata and (unless the manager's
	// --allowed-provider-cidrs allows them) private addresses, so the endpoint cannot be aimed inside the
	// cluster's network.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['https', 'http'] && url(self).getHostname() != ''",message="spec.baseURL must be an absolute http(s) URL"
	// +kubebuilder:validation:XValidation:rule="!self.lowerAscii().startsWith('http://') || self.lowerAscii().matches('^http://(localhost|127\\\\.[0-9]{1,3}\\\\.[0-9]{1,3}\\\\.[0-9]{1,3}|\\\\[::1\\\\])(:[0-9]{1,5})?(/.*)?$')",message="spec.baseURL must use https; plain http is allowed only to a loopback address (127.0.0.0/8, [::1], localhost)"
	// +kubebuilder:validation:XValidation:rule="!self.contains('@') && !self.contains('?') && !self.contains('#')",message="spec.baseURL may not contain user info, a query or a fragment"
	BaseURL string `json:"baseURL,omitempty"`

	// namespaceSelector says which namespaces' SiteInvitations may use this provider. Absent: no
	// namespace (a provider backed by a company-wide credential is never open by accident); {}: every
	// namespace, explicitly; matchLabels/matchExpressions: the namespaces whose labels match. Until v0.2 an
	// absent selector admitted every namespace: set {} to keep that.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// ProviderStatus is what the operator found when it checked the provider's credential.
type ProviderStatus struct {
	// observedGeneration is the spec generation the conditions describe; 0 until checked (so a new
	// provider reads as in progress).
	// +optional
	// +kubebuilder:default=0
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions holds Ready: the Secret and key exist, the credential is well formed and, where the
	// provider has a cheap authenticated read, the provider accepted it.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// secretResourceVersion is the resourceVersion of the Secret the conditions describe. The operator
	// re-reads the Secret periodically; a new version is checked again, so fixing a rejected credential
	// needs no other change.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SecretResourceVersion string `json:"secretResourceVersion,omitempty"`
}

// InvitationProvider holds how SiteInvitations in its namespace reach one provider account.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=invprov,categories=invitations
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type InvitationProvider struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec selects the provider and its credential.
	// +required
	Spec InvitationProviderSpec `json:"spec"`

	// status reports whether the credential works.
	// +optional
	// +kubebuilder:default={}
	Status ProviderStatus `json:"status,omitempty"`
}

// InvitationProviderList is a list of InvitationProviders.
//
// +kubebuilder:object:root=true
type InvitationProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InvitationProvider `json:"items"`
}

// ClusterInvitationProvider holds how SiteInvitations in any allowed namespace reach one provider account.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=cinvprov,categories=invitations
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterInvitationProvider struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec selects the provider, its credential and who may use it.
	// +required
	Spec ClusterInvitationProviderSpec `json:"spec"`

	// status reports whether the credential works.
	// +optional
	// +kubebuilder:default={}
	Status ProviderStatus `json:"status,omitempty"`
}

// ClusterInvitationProviderList is a list of ClusterInvitationProviders.
//
// +kubebuilder:object:root=true
type ClusterInvitationProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterInvitationProvider `json:"items"`
}
