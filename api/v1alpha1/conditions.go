package v1alpha1

// Condition types, following kstatus: Ready summarises; Reconciling is True while work is under way;
// Stalled is True when progress needs a human. Users, GitOps tools and alerts read them.
const (
	ConditionReady       = "Ready"
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"
)

// Condition reasons. They are an API: users alert on them, so a value never changes once released.
// docs/troubleshooting.md explains each one and what to do.
const (
	ReasonSucceeded            = "Succeeded"
	ReasonProgressing          = "Progressing"
	ReasonRetrying             = "Retrying"
	ReasonWaitingForInFlight   = "WaitingForInFlight"
	ReasonSuspended            = "Suspended"
	ReasonInvalidSpec          = "InvalidSpec"
	ReasonProviderNotFound     = "ProviderNotFound"
	ReasonProviderTypeMismatch = "ProviderTypeMismatch"
	ReasonNamespaceNotAllowed  = "NamespaceNotAllowed"
	ReasonProviderNotReady     = "ProviderNotReady"
	ReasonSecretNotFound       = "SecretNotFound"
	ReasonKeyNotFound          = "KeyNotFound"
	ReasonCredentialMalformed  = "CredentialMalformed" //nolint:gosec // G101: a condition reason, not a credential
	ReasonCredentialRejected   = "CredentialRejected"  //nolint:gosec // G101: a condition reason, not a credential
	ReasonForbidden            = "Forbidden"
	ReasonInvitesFailed        = "InvitesFailed"
	ReasonRevoking             = "Revoking"
	// ReasonOutcomeUnknown is also a status.failed[].reason: a send that may or may not have reached the
	// provider. Only a retry request sends it again: a second email is worse than a visible question.
	ReasonOutcomeUnknown = "OutcomeUnknown"
	// ReasonNotAllowed: the SiteInvitation asks for something its provider's policy does not allow (a
	// site, a role, more emails than allowed); as a status.failed[].reason, an email outside the policy's
	// email domains. Nothing outside the policy is sent.
	ReasonNotAllowed = "NotAllowed"
	// ReasonSiteNotServed: a Ghost SiteInvitation names a site its provider does not pin.
	ReasonSiteNotServed = "SiteNotServed"
	// ReasonSecretNamespaceNotAllowed: a ClusterInvitationProvider names a Secret outside the operator's
	// cluster resource namespace; the Secret is never read.
	ReasonSecretNamespaceNotAllowed = "SecretNamespaceNotAllowed"
	// ReasonNoNamespaceSelector: a ClusterInvitationProvider without spec.namespaceSelector admits no
	// namespace; {} admits every namespace.
	ReasonNoNamespaceSelector = "NoNamespaceSelector"
	// ReasonInvalidNamespaceSelector: the provider's namespaceSelector does not parse as a label selector.
	ReasonInvalidNamespaceSelector = "InvalidNamespaceSelector"
	// ReasonInvalidAnnotation: a retry or resend token is longer than status can record; it is not acted on.
	ReasonInvalidAnnotation = "InvalidAnnotation"
	// ReasonListingInvites: a long listing of the site's invites is under way.
	ReasonListingInvites = "ListingInvites"
	// ReasonVerified: the provider accepted the credential on a cheap authenticated read.
	ReasonVerified = "Verified"
	// ReasonCredentialPresent: the credential is present and well formed, and the provider offers no
	// cheap read to check it; the first send does.
	ReasonCredentialPresent = "CredentialPresent" //nolint:gosec // G101: a condition reason, not a credential
)

// Failure reasons of status.failed[] that the operator assigns to transient failures (the provider's own
// rejections carry the provider package's reasons: AlreadyMember, InvalidEmail, UnknownRole, ...).
const (
	FailureRateLimited         = "RateLimited"
	FailureProviderUnavailable = "ProviderUnavailable"
)

// Event reasons (events.k8s.io), beside the condition reasons that events also carry.
const (
	EventInvitesSent    = "InvitesSent"
	EventInviteFailed   = "InviteFailed"
	EventInvitesRevoked = "InvitesRevoked"
	EventRevokeSkipped  = "RevokeSkipped"
	EventInvitesResent  = "InvitesResent"
	EventResendFailed   = "ResendFailed"
	// EventInvitesReissued: pending invites were withdrawn to be sent again with spec.roles
	// (roleChangePolicy Reissue).
	EventInvitesReissued = "InvitesReissued"
	// EventRefreshFailed: the periodic look at pending invites failed for a passing reason; it changes no
	// condition, and the next resync looks again.
	EventRefreshFailed = "RefreshFailed"
)

// Reasons of status.plan entries: why the next pass would act on an email.
const (
	// PlanNotInvited: a desired email without an invite.
	PlanNotInvited = "NotInvited"
	// PlanRetryDue: a retryable failure whose next attempt has come.
	PlanRetryDue = "RetryDue"
	// PlanSpecChanged: a permanent failure tried again because the spec changed since.
	PlanSpecChanged = "SpecChanged"
	// PlanRetryRequested: a failure tried again on the retry annotation.
	PlanRetryRequested = "RetryRequested"
	// PlanNowAllowed: an email the provider's policy held back and now allows.
	PlanNowAllowed = "NowAllowed"
	// PlanRemoved: the pending invite of an email removed from spec.emails (removalPolicy Revoke).
	PlanRemoved = "Removed"
	// PlanExpired: an expired invite that spec.resendPolicy resends.
	PlanExpired = "Expired"
	// PlanResendRequested: an invite the resend annotation emails again.
	PlanResendRequested = "ResendRequested"
	// PlanRolesChanged: a pending invite with roles other than spec.roles (roleChangePolicy Reissue).
	PlanRolesChanged = "RolesChanged"
)

// FinalizerName is present on a SiteInvitation only while it has pending invites to revoke on deletion
// (removalPolicy Revoke).
const FinalizerName = "invitations.siteops.dev/revoke"
