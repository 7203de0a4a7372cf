package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProviderType names the site builder whose invite API a SiteInvitation or provider talks to. It is spelled
// out on the SiteInvitation itself so that the CRD can validate the provider-specific fields before anything
// is stored.
// +kubebuilder:validation:Enum=Wix;WordPress;Ghost
type ProviderType string

const (
	// ProviderWix is Wix Site Invites (account-level API key).
	ProviderWix ProviderType = "Wix"
	// ProviderWordPress is WordPress.com invites (OAuth2 bearer token).
	ProviderWordPress ProviderType = "WordPress"
	// ProviderGhost is Ghost's Admin API staff invitations (Admin API key).
	ProviderGhost ProviderType = "Ghost"
)

// RemovalPolicy says what happens to invites that are still pending when their email leaves the list or the
// SiteInvitation is deleted.
// +kubebuilder:validation:Enum=Keep;Revoke
type RemovalPolicy string

const (
	// RemovalPolicyKeep leaves pending invites alone; deletion never waits for the provider.
	RemovalPolicyKeep RemovalPolicy = "Keep"
	// RemovalPolicyRevoke revokes pending invites of removed emails, and all pending invites on deletion.
	RemovalPolicyRevoke RemovalPolicy = "Revoke"
)

// RoleChangePolicy says what happens to pending invites when spec.roles changes.
// +kubebuilder:validation:Enum=Keep;Reissue
type RoleChangePolicy string

const (
	// RoleChangeKeep leaves pending invites with the roles they were sent with; status marks those whose
	// roles differ from spec.roles (sent[].rolesOutdated, summary.rolesOutdated) and the Ready message
	// counts them.
	RoleChangeKeep RoleChangePolicy = "Keep"
	// RoleChangeReissue withdraws each pending invite whose roles differ from spec.roles and invites the
	// person again with the new roles: one more email per person, and the old link stops working.
	RoleChangeReissue RoleChangePolicy = "Reissue"
)

// ResendPolicy resends expired invites automatically, through the provider's resend call (never as a
// second invite).
type ResendPolicy struct {
	// afterExpiry is how long after an invite expires it is resent: a duration from 0s to 2160h (90
	// days), such as 0s (at once), 24h or 72h. Default 0s.
	// +optional
	// +kubebuilder:default="0s"
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(\\\\.[0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) <= duration('2160h')",message="afterExpiry must be a duration from 0s to 2160h (90 days), such as 0s, 24h or 72h"
	AfterExpiry string `json:"afterExpiry,omitempty"`

	// maxResends is the most times one email's invite is resent, counting the resend annotation's resends
	// too (status.sent[].resends): 1 to 10. Each resend is one more email to that person.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	MaxResends int32 `json:"maxResends"`
}

// Annotations a user sets to ask for a one-off action. The value is any new token (a timestamp works); the
// controller echoes the handled token in status, so one token acts once.
const (
	// RetryAnnotation retries permanent and OutcomeUnknown failures once.
	RetryAnnotation = "invitations.siteops.dev/retry"
	// ResendAnnotation resends the email of every Pending or Expired invite once.
	ResendAnnotation = "invitations.siteops.dev/resend"
)

// SiteInvitationSpec declares who is invited to one site, with which roles, through which provider.
//
// +kubebuilder:validation:XValidation:rule="!has(self.wix) || self.provider == 'Wix'",message="spec.wix is only allowed when spec.provider is Wix"
// +kubebuilder:validation:XValidation:rule="!has(self.wordpress) || self.provider == 'WordPress'",message="spec.wordpress is only allowed when spec.provider is WordPress"
// +kubebuilder:validation:XValidation:rule="!has(self.message) || self.provider == 'WordPress'",message="spec.message is only supported by WordPress; Wix sends its own invitation text"
// +kubebuilder:validation:XValidation:rule="self.provider != 'WordPress' || self.roles.size() == 1",message="WordPress invites take exactly one role in spec.roles"
// +kubebuilder:validation:XValidation:rule="self.provider != 'WordPress' || self.roles.all(r, r.matches('^[a-z][a-z0-9_-]*$'))",message="WordPress roles are role names such as author or editor: lowercase letters, digits, '_' and '-'"
// +kubebuilder:validation:XValidation:rule="self.provider != 'Wix' || self.roles.all(r, r.matches('^[0-9]{1,20}$'))",message="Wix roles are numeric role (policy) IDs of at most 20 digits, such as 6600344420111308827"
// +kubebuilder:validation:XValidation:rule="self.provider != 'Wix' || self.site.matches('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')",message="a Wix site is the site ID, a GUID such as 1f2d3c4b-5a69-4788-99aa-bbccddeeff00"
// +kubebuilder:validation:XValidation:rule="self.provider != 'WordPress' || self.site.matches('^([0-9]+|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)$')",message="a WordPress site is a numeric blog ID or a lowercase domain such as example.wordpress.com"
// +kubebuilder:validation:XValidation:rule="self.provider != 'Ghost' || (isURL(self.site) && url(self.site).getScheme() in ['https', 'http'] && url(self.site).getHostname().size() > 0 && (!self.site.lowerAscii().startsWith('http://') || self.site.lowerAscii().matches('^http://(localhost|127\\\\.[0-9]{1,3}\\\\.[0-9]{1,3}\\\\.[0-9]{1,3}|\\\\[::1\\\\])(:[0-9]{1,5})?(/.*)?$')))",message="a Ghost site is the site's URL, such as https://blog.example.com: https, or plain http only to a loopback address"
// +kubebuilder:validation:XValidation:rule="self.provider != 'Ghost' || (self.roles.size() == 1 && self.roles.all(r, r in ['Contributor', 'Author', 'Editor', 'Administrator', 'Super Editor']))",message="Ghost invites take exactly one role in spec.roles: Contributor, Author, Editor, Administrator or Super Editor"
type SiteInvitationSpec struct {
	// provider is the site builder that sends the invites: Wix, WordPress (WordPress.com) or Ghost. It
	// selects which of the other fields apply and must match the type of the provider named by providerRef.
	// Immutable: invites already sent cannot move to another provider.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.provider is immutable: create a new SiteInvitation for another provider"
	Provider ProviderType `json:"provider"`

	// providerRef names the InvitationProvider (in this namespace) or ClusterInvitationProvider that holds the
	// credential and rate limit used for this site.
	// +required
	ProviderRef ProviderReference `json:"providerRef"`

	// site identifies the website. WordPress: the numeric blog ID or the site's domain
	// (example.wordpress.com). Wix: the site ID (a GUID). Ghost: the site's URL (https://blog.example.com),
	// one of the sites its provider pins. At most 253 characters.
	// Immutable: the invites already sent belong to this site.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.site is immutable: create a new SiteInvitation for another site"
	Site string `json:"site"`

	// roles is what the invited people become. WordPress: exactly one role name (administrator, editor,
	// author, contributor, follower, or a custom role of the site). Wix: 1 to 10 role (policy) IDs, numeric
	// strings of at most 20 digits. Ghost: exactly one of Contributor, Author, Editor, Administrator, Super
	// Editor (a role the site lacks fails that email with UnknownRole). A change reaches pending invites
	// as spec.roleChangePolicy says: by default they keep the roles they were sent with
	// (status.sent[].roles), and status marks them.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=64
	Roles []string `json:"roles"`

	// roleChangePolicy says what happens to pending invites when spec.roles changes: Keep (default) leaves
	// them with the roles they were sent with and marks them in status (sent[].rolesOutdated,
	// summary.rolesOutdated, the Ready message); Reissue withdraws each and invites the person again with
	// the new roles (one more email per person; the old link stops working). Adopted invites are re-issued
	// only when spec.manageAdoptedInvites is true.
	// +optional
	// +kubebuilder:default=Keep
	RoleChangePolicy RoleChangePolicy `json:"roleChangePolicy,omitempty"`

	// resendPolicy, when set, resends expired invites automatically: afterExpiry after each expiry, at
	// most maxResends times per email. Without it expired invites stay Expired until the resend annotation
	// asks. Where the provider does not tell an invite's expiry (WordPress.com), an invite counts as
	// expired from when the provider first shows it lapsed.
	// +optional
	ResendPolicy *ResendPolicy `json:"resendPolicy,omitempty"`

	// emails are the people to invite: lowercase addresses (addr-spec, e.g. ada@example.com, without a
	// display name), each at most 254 characters, with no duplicates, 1 to 500 per object. Split larger
	// teams across several SiteInvitations. Each email is invited exactly once while it stays in the list.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=500
	// +kubebuilder:validation:items:MaxLength=254
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9!#$%&'*+/=?^_{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_{|}~-]+)*@[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z][a-z0-9-]{0,61}[a-z0-9]$`
	// +kubebuilder:validation:items:XValidation:rule="self == self.lowerAscii()",message="emails must be lowercase, e.g. ada@example.com"
	// +kubebuilder:validation:items:XValidation:rule="!self.contains('<') && !self.contains(' ')",message="emails must be bare addresses such as ada@example.com, without a display name or angle brackets"
	// +kubebuilder:validation:items:XValidation:rule="self.indexOf('@') <= 64",message="the part of an email before '@' may be at most 64 characters"
	Emails []string `json:"emails"`

	// message is appended to the invitation email. WordPress only; at most 500 characters.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=500
	Message string `json:"message,omitempty"`

	// wix holds options only Wix understands. Allowed only when provider is Wix.
	// +optional
	Wix *WixInvitationOptions `json:"wix,omitempty"`

	// wordpress holds options only WordPress.com understands. Allowed only when provider is WordPress.
	// +optional
	WordPress *WordPressInvitationOptions `json:"wordpress,omitempty"`

	// removalPolicy says what happens to invites that are still pending when their email is removed from
	// the list or the SiteInvitation is deleted: Keep (default) leaves them; Revoke revokes them at the
	// provider first. Accepted invites are never undone.
	// +optional
	// +kubebuilder:default=Keep
	RemovalPolicy RemovalPolicy `json:"removalPolicy,omitempty"`

	// suspend stops all provider calls for this object while true; nothing is sent, refreshed or revoked.
	// Defaults to false.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// manageAdoptedInvites lets removal (removalPolicy Revoke), deletion and the resend annotation act on
	// invites the operator adopted: invites it found already pending at the provider instead of sending
	// them (status.sent[].adopted). Defaults to false: an adopted invite may have been sent by someone
	// else, through the provider's own tools or another object, and only a human knows whether this object
	// may withdraw it or email that person again.
	// +optional
	ManageAdoptedInvites bool `json:"manageAdoptedInvites,omitempty"`
}

// ProviderReference points a SiteInvitation at the provider object that holds its credential.
type ProviderReference struct {
	// kind is InvitationProvider (default; in the SiteInvitation's namespace) or ClusterInvitationProvider.
	// +optional
	// +kubebuilder:default=InvitationProvider
	// +kubebuilder:validation:Enum=InvitationProvider;ClusterInvitationProvider
	Kind string `json:"kind,omitempty"`

	// name is the provider object's name: a Kubernetes object name (lowercase letters, digits, '-' and
	// '.'), at most 253 characters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="providerRef.name must be a Kubernetes object name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	Name string `json:"name"`
}

// WixInvitationOptions are the optional fields of Wix's bulk invite request.
type WixInvitationOptions struct {
	// invitePurpose is sent to Wix as invitePurpose: a short text on why people are invited. At most 200
	// characters.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=200
	InvitePurpose string `json:"invitePurpose,omitempty"`

	// defaultEmailLanguage is the language of the invitation email for people without a Wix account, as a
	// language code such as en or pt-BR. Default: the site owner's language.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-z]{2}(-[A-Z]{2})?$`
	// +kubebuilder:validation:MaxLength=5
	DefaultEmailLanguage string `json:"defaultEmailLanguage,omitempty"`

	// locationIDs restricts the contributors to these business locations (GUIDs), at most 20.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// +kubebuilder:validation:items:MaxLength=36
	LocationIDs []string `json:"locationIDs,omitempty"`
}

// WordPressInvitationOptions are the optional fields of WordPress.com's invites/new request.
type WordPressInvitationOptions struct {
	// isExternal marks the invited people as external contributors of the site. Defaults to false.
	// +optional
	IsExternal bool `json:"isExternal,omitempty"`
}

// InvitationState is where one sent invite stands at the provider.
// +kubebuilder:validation:Enum=Pending;Accepted;Expired;Revoked
type InvitationState string

const (
	// InvitationPending means the email went out and the person has not answered.
	InvitationPending InvitationState = "Pending"
	// InvitationAccepted means the person is now a member or contributor of the site.
	InvitationAccepted InvitationState = "Accepted"
	// InvitationExpired means the invite lapsed unanswered: its expiresAt has passed, or the provider
	// shows it lapsed. spec.resendPolicy or the resend annotation sends it again.
	InvitationExpired InvitationState = "Expired"
	// InvitationRevoked means the invite was withdrawn (removalPolicy Revoke or at the provider).
	InvitationRevoked InvitationState = "Revoked"
)

// SentInvitation records one invite the provider accepted, so it is never sent twice.
type SentInvitation struct {
	// email is the invited address.
	// +required
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email"`

	// inviteID is the provider's key for the invite (Wix invite GUID, WordPress.com invite_key), used to
	// resend and revoke it. Empty until the provider has told it (WordPress.com reports it on the next list).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	InviteID string `json:"inviteID,omitempty"`

	// roles are the roles the invite was sent with.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=64
	Roles []string `json:"roles,omitempty"`

	// sentAt is when the provider accepted the invite (or when the operator adopted an existing one).
	// +required
	SentAt metav1.Time `json:"sentAt"`

	// expiresAt is when the invite lapses, where the provider tells it (Wix expirationDate, Ghost
	// expires); the state becomes Expired when it passes. WordPress.com does not tell it: there it is when
	// a listing first showed the invite lapsed. Cleared while a resend of an expired invite is under way
	// (the resend's answer sets the new one).
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// resends counts the times this invite was emailed again (spec.resendPolicy and the resend
	// annotation), up to 99. It is counted before each resend call, so after a crash it may count one
	// resend that never went out, never the other way round.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=99
	Resends int32 `json:"resends,omitempty"`

	// rolesOutdated is true while the invite is pending with roles other than spec.roles
	// (roleChangePolicy Keep, or a re-issue not done yet).
	// +optional
	RolesOutdated bool `json:"rolesOutdated,omitempty"`

	// state is Pending, Accepted, Expired or Revoked.
	// +required
	State InvitationState `json:"state"`

	// adopted is true when the operator found this invite already at the provider (status lost, the
	// object re-created, an invite sent by other means) instead of sending it. Removal, deletion and the
	// resend annotation leave adopted invites alone unless spec.manageAdoptedInvites is true.
	// +optional
	Adopted bool `json:"adopted,omitempty"`
}

// FailedInvitation records one email the provider did not invite, and when it will be tried again.
type FailedInvitation struct {
	// email is the address that was not invited.
	// +required
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email"`

	// reason is a CamelCase classification: AlreadyMember, InvalidEmail, UnknownRole, Rejected,
	// RateLimited, ProviderUnavailable, OutcomeUnknown, and so on (see docs/troubleshooting.md). At most 32
	// characters.
	// +required
	// +kubebuilder:validation:MaxLength=32
	Reason string `json:"reason"`

	// message is the provider's own explanation (code and text), cut to at most 128 characters.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Message string `json:"message,omitempty"`

	// retryable is true when the operator will try again by itself at nextAttemptAt. Permanent failures
	// are retried only when the spec changes or the retry annotation gets a new token.
	// +required
	Retryable bool `json:"retryable"`

	// attempts counts the sends tried for this email, at most 1000.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	Attempts int32 `json:"attempts"`

	// lastAttemptAt is when the last send was tried.
	// +required
	LastAttemptAt metav1.Time `json:"lastAttemptAt"`

	// nextAttemptAt is the earliest time of the next automatic attempt (exponential backoff with jitter,
	// or the provider's Retry-After). Set only when retryable.
	// +optional
	NextAttemptAt *metav1.Time `json:"nextAttemptAt,omitempty"`

	// generation is the spec generation of the last attempt. A permanent failure is tried again once the
	// spec has changed since (a fixed role, say); an OutcomeUnknown failure only on a retry request.
	// +optional
	Generation int64 `json:"generation,omitempty"`
}

// InFlightBatch is the intent record written before a send. While present, the batch may or may not have
// reached the provider; the controller settles it before sending anything else.
type InFlightBatch struct {
	// id identifies this send attempt, at most 64 characters.
	// +required
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"id"`

	// emails are the addresses in the batch, at most 50.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:MaxLength=254
	Emails []string `json:"emails"`

	// roles are the roles the batch is sent with.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=64
	Roles []string `json:"roles"`

	// startedAt is when the intent was recorded; the batch is settled only after the send deadline has
	// passed since then.
	// +required
	StartedAt metav1.Time `json:"startedAt"`
}

// InvitationSummary counts the people of this object by where they stand, for printer columns and alerts.
type InvitationSummary struct {
	// desired is the number of emails in spec.emails.
	Desired int32 `json:"desired"`
	// sent is the number of desired emails with an invite (any state).
	Sent int32 `json:"sent"`
	// accepted is the number of desired emails whose invite was accepted.
	Accepted int32 `json:"accepted"`
	// failed is the number of desired emails in status.failed.
	Failed int32 `json:"failed"`
	// inFlight is the number of emails in a send whose outcome is not settled yet.
	InFlight int32 `json:"inFlight"`
	// expired is the number of desired emails whose invite expired unanswered. Expired invites do not
	// clear Ready; the Ready message counts them.
	Expired int32 `json:"expired"`
	// rolesOutdated is the number of desired emails whose pending invite carries roles other than
	// spec.roles.
	RolesOutdated int32 `json:"rolesOutdated"`
}

// InvitationPlan is what the next pass would do, shown while spec.suspend is true. It is computed by the
// same ledger that acts, so resuming does exactly this — except that a send may find an invite already at
// the provider and adopt it instead (note says when that can happen).
type InvitationPlan struct {
	// send are the emails that would be invited.
	// +optional
	Send *PlannedAction `json:"send,omitempty"`
	// revoke are the pending invites of removed emails that would be revoked.
	// +optional
	Revoke *PlannedAction `json:"revoke,omitempty"`
	// resend are the invites that would be emailed again (resendPolicy, the resend annotation).
	// +optional
	Resend *PlannedAction `json:"resend,omitempty"`
	// reissue are the pending invites that would be withdrawn and sent again with spec.roles.
	// +optional
	Reissue *PlannedAction `json:"reissue,omitempty"`
	// note says what the plan cannot foresee. At most 256 characters.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Note string `json:"note,omitempty"`
}

// PlannedAction counts the emails one action of the plan concerns and names the first few.
type PlannedAction struct {
	// count is how many emails this action concerns.
	// +required
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Count int32 `json:"count"`
	// emails are the first of them (at most 3), each with its reason.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=3
	Emails []PlannedEmail `json:"emails,omitempty"`
}

// PlannedEmail is one email of a planned action and why it is planned.
type PlannedEmail struct {
	// email is the address.
	// +required
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email"`
	// reason is why: NotInvited, RetryDue, SpecChanged, RetryRequested, NowAllowed (send); Removed
	// (revoke); Expired, ResendRequested (resend); RolesChanged (reissue).
	// +required
	// +kubebuilder:validation:MaxLength=32
	Reason string `json:"reason"`
}

// SiteInvitationStatus is what the operator observed and did. The lists are written only by the operator,
// so they are atomic (no per-item merge), which also keeps managedFields small.
//
// Size bound (worst case, every string at its maximum; docs/api.md has the full arithmetic): spec ≈ 130 KiB,
// the same again in kubectl's last-applied annotation and in managedFields for the email set; status holds
// at most 500 desired emails plus 5 awaiting revocation, ≈ 720 B each. The total stays under 768 KiB,
// which a test asserts against the API server.
type SiteInvitationStatus struct {
	// observedGeneration is the spec generation that was fully processed; 0 until the first one is.
	// The default makes a brand-new object read as in progress (kstatus, Flux) before the operator
	// has written anything.
	// +optional
	// +kubebuilder:default=0
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Ready, Reconciling and Stalled (kstatus conventions).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// sent lists every invite the provider accepted: desired emails, plus removed ones whose pending
	// invite still awaits revocation. Together with failed, at most 505 entries.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=505
	Sent []SentInvitation `json:"sent,omitempty"`

	// failed lists desired emails that were not invited, with the reason and the next attempt. At most 500.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=500
	Failed []FailedInvitation `json:"failed,omitempty"`

	// inFlight is present only while a send is under way (the intent record).
	// +optional
	InFlight *InFlightBatch `json:"inFlight,omitempty"`

	// summary counts the desired emails by where they stand.
	// +optional
	Summary InvitationSummary `json:"summary,omitempty"`

	// plan is what the next pass would do; present only while spec.suspend is true.
	// +optional
	Plan *InvitationPlan `json:"plan,omitempty"`

	// lastHandledRetry is the last invitations.siteops.dev/retry token acted on. Tokens are at most 256
	// characters; a longer one is not acted on, and the object says so.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	LastHandledRetry string `json:"lastHandledRetry,omitempty"`

	// lastHandledResend is the last invitations.siteops.dev/resend token acted on.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	LastHandledResend string `json:"lastHandledResend,omitempty"`
}

// SiteInvitation declares that a list of people is invited to one website with given roles; the operator
// sends each of them exactly one invite and reports where each stands.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=siteinv,categories=invitations
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Site",type=string,JSONPath=`.spec.site`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.summary.desired`,priority=1
// +kubebuilder:printcolumn:name="Sent",type=integer,JSONPath=`.status.summary.sent`
// +kubebuilder:printcolumn:name="Accepted",type=integer,JSONPath=`.status.summary.accepted`
// +kubebuilder:printcolumn:name="Expired",type=integer,JSONPath=`.status.summary.expired`,priority=1
// +kubebuilder:printcolumn:name="Failed",type=integer,JSONPath=`.status.summary.failed`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type SiteInvitation struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the site, provider, roles and emails.
	// +required
	Spec SiteInvitationSpec `json:"spec"`

	// status is what the operator sent, what failed and why.
	// +optional
	// +kubebuilder:default={}
	Status SiteInvitationStatus `json:"status,omitempty"`
}

// SiteInvitationList is a list of SiteInvitations.
//
// +kubebuilder:object:root=true
type SiteInvitationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SiteInvitation `json:"items"`
}
