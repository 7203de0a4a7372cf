package reasons

// The rows of docs/troubleshooting.md. Edit them here, then run `make generate`: the document is
// rewritten from this file, and `kubectl invitations explain` prints the same words.

// Words several rows share.
const (
	stalled         = "Stalled"
	reconciling     = "Reconciling"
	whenSpecChanges = "when the spec changes"
	warning         = "(Warning)"
	atNextAttempt   = "yes, at `nextAttemptAt`"
	wait            = "wait"
)

var siteInvitationConditions = []Entry{
	{Reasons: []string{"Succeeded"}, Conditions: "Ready=True", Meaning: "every email is invited (or already a member)", Action: "nothing"},
	{Reasons: []string{"Progressing"}, Conditions: reconciling, Meaning: "invites are being sent", Action: wait},
	{Reasons: []string{"WaitingForInFlight"}, Conditions: reconciling,
		Meaning: "a send had no usable answer, or another manager may still be sending; the outcome is settled after `--send-deadline`",
		Action:  "wait; nothing is resent before then"},
	{Reasons: []string{"Retrying"}, Conditions: reconciling,
		Meaning: "transient provider errors (429, 503, network); next attempt in the message",
		Action:  "wait; check the provider's status page if it lasts"},
	{Reasons: []string{"Revoking"}, Conditions: reconciling,
		Meaning: "pending invites of removed emails are being revoked (new sends wait while more than 5 are queued)", Action: wait},
	{Reasons: []string{"Suspended"}, Conditions: "Ready=False", Meaning: "`spec.suspend: true`", Action: "set it to false"},
	{Reasons: []string{"InvitesFailed"}, Conditions: stalled,
		Meaning: "some emails were rejected for good: counts by reason in the message, details in `status.failed`",
		Action:  "fix the spec (a role, an address); or set annotation `invitations.siteops.dev/retry: <new value>` to try those once more"},
	{Reasons: []string{"OutcomeUnknown"}, Conditions: stalled,
		Meaning: "a Wix send got no answer; Wix cannot show pending invites, so these people may or may not have an invite",
		Action:  "ask them, or check the Wix dashboard; set `invitations.siteops.dev/retry: <new value>` to send (possibly again)"},
	{Reasons: []string{"InvalidSpec"}, Conditions: stalled,
		Meaning: "the spec breaks a rule the CRD enforces (an object stored before the rule existed)", Action: "fix the spec"},
	{Reasons: []string{"ProviderNotFound"}, Conditions: stalled,
		Meaning: "`spec.providerRef` names no provider (InvitationProvider in this namespace, or ClusterInvitationProvider)",
		Action:  "create it or fix the name/kind"},
	{Reasons: []string{"ProviderTypeMismatch"}, Conditions: stalled,
		Meaning: "the provider is Wix and the object WordPress, or the reverse", Action: "point at the right provider"},
	{Reasons: []string{"NamespaceNotAllowed"}, Conditions: stalled,
		Meaning: "the ClusterInvitationProvider's `namespaceSelector` does not admit this namespace, or it has **no** `namespaceSelector` " +
			"(which admits no namespace), or the selector does not parse",
		Action: "label the namespace, or ask the platform team to set `namespaceSelector` (`{}` admits every namespace)"},
	{Reasons: []string{"NotAllowed"}, Conditions: stalled,
		Meaning: "the provider's `spec.policy` does not allow what the object asks: the site (`allowedSites`), a role (`allowedRoles`), " +
			"more emails than `maxEmailsPerObject` (nothing is sent), or some emails' domains (`allowedEmailDomains`: those are in " +
			"`status.failed` with reason `NotAllowed`, the rest go out). The message names the rule and the provider",
		Action: "ask for less, or ask the provider's owner to widen the policy: once it allows them, the held emails go out by themselves"},
	{Reasons: []string{"SiteNotServed"}, Conditions: stalled,
		Meaning: "a Ghost SiteInvitation names a site its provider does not pin in `spec.ghost.sites` (a Ghost site is also where the " +
			"operator connects, so only pinned sites are used)",
		Action: "fix `spec.site`, or ask the provider's owner to add the site"},
	{Reasons: []string{"SecretNamespaceNotAllowed"}, Conditions: stalled,
		Meaning: "a ClusterInvitationProvider names a Secret outside the operator's cluster resource namespace; the Secret is not read",
		Action:  "move the Secret into that namespace and drop `secretRef.namespace`"},
	{Reasons: []string{"InvalidAnnotation"}, Conditions: stalled,
		Meaning: "a retry or resend token is longer than 256 characters; it is not acted on", Action: "set a shorter token (a timestamp)"},
	{Reasons: []string{"ListingInvites"}, Conditions: reconciling,
		Meaning: "a long listing of the site's invites is under way (shown after 5 pages)", Action: wait},
	{Reasons: []string{"ListingTooLong"}, Conditions: stalled,
		Meaning: "the provider's listing did not end within 20,000 entries or 32 MiB; the operator stops there, and sends nothing it could not check",
		Action:  "check the site at the provider (a misbehaving API or proxy?); the next resync tries again"},
	{Reasons: []string{"EndpointNotAllowed"}, Note: "(in `status.failed`, or Stalled)", Conditions: stalled,
		Meaning: "the provider's endpoint resolves to an address the operator refuses: link-local, cloud metadata, unspecified, or " +
			"private without `--allowed-provider-cidrs`",
		Action: "fix the endpoint, or allow the range if the provider really lives there (on-premises, a proxy)"},
	{Reasons: []string{"SecretNotFound", "KeyNotFound", "CredentialMalformed"}, Conditions: stalled,
		Meaning: "the provider's Secret, its key, or the credential's shape is wrong (empty, spaces inside)",
		Action:  "fix the Secret; recovery is automatic within `--provider-poll-interval`"},
	{Reasons: []string{"CredentialRejected"}, Conditions: stalled,
		Meaning: "the provider answered 401 / invalid token; no call is made with this credential until its Secret changes",
		Action:  "put a valid token or API key in the Secret"},
	{Reasons: []string{"Forbidden"}, Conditions: stalled, Meaning: "the provider answered 403: the credential may not act on this site",
		Action: "use a credential of the site's owner (Wix) or an administrator (WordPress.com)"},
	{Reasons: []string{"UnknownRole", "SiteNotFound"}, Note: "(in `status.failed`)", Conditions: "Stalled via InvitesFailed",
		Meaning: "the provider does not know the role or site", Action: "fix `spec.roles` / `spec.site`; the fix retries them by itself"},
}

var failedReasons = []Entry{
	{Reasons: []string{"AlreadyMember"}, Retried: "no", Meaning: "the person already belongs to the site; does not block Ready"},
	{Reasons: []string{"InvalidEmail"}, Retried: "no", Meaning: "the provider refuses the address"},
	{Reasons: []string{"InvitesBlocked"}, Retried: "no", Meaning: "the person blocks invites (WordPress.com)"},
	{Reasons: []string{"UnknownRole", "SiteNotFound"}, Retried: whenSpecChanges, Meaning: "the provider refused the whole request"},
	{Reasons: []string{"RoleNotAllowed"}, Retried: whenSpecChanges,
		Meaning: "the role exists, but this credential may not invite people with it (a Ghost integration key and Administrator; " +
			"an Editor's staff token and Editor)"},
	{Reasons: []string{"Rejected"}, Retried: whenSpecChanges,
		Meaning: "any other refusal, with the provider's message (Wix `failedEmails` carries no reason)"},
	{Reasons: []string{"RateLimited", "ProviderUnavailable"}, Retried: atNextAttempt, Meaning: "transient"},
	{Reasons: []string{"EmailNotDelivered"}, Retried: atNextAttempt,
		Meaning: "Ghost stored the invite but its mail step failed; nobody has a link yet, and the next send replaces the invite and emails it once"},
	{Reasons: []string{"NotAllowed"}, Retried: "as soon as the provider's policy allows it",
		Meaning: "outside `policy.allowedEmailDomains`; the message names the rule and the provider"},
	{Reasons: []string{"OutcomeUnknown"}, Retried: "only on a retry request",
		Meaning: "the send got no usable answer and the provider cannot be asked (Wix): the person may or may not have an invite; " +
			"ask them, then set the retry annotation to send on purpose"},
}

var providerConditions = []Entry{
	{Reasons: []string{"Verified"}, Meaning: "the provider accepted the credential (cheap authenticated read)"},
	{Reasons: []string{"CredentialPresent"},
		Meaning: "well-formed credential, but Wix offers no check without `spec.wix.accountID`; the first send checks it"},
	{Reasons: []string{"SecretNotFound", "KeyNotFound", "CredentialMalformed", "CredentialRejected"}, Meaning: "as above"},
	{Reasons: []string{"ProviderNotReady"}, Meaning: "the check failed for a transient reason (network); retried every poll interval"},
	{Reasons: []string{"NoNamespaceSelector"},
		Meaning: "the credential works, but a ClusterInvitationProvider without `spec.namespaceSelector` admits no namespace. " +
			"**Upgrading from v0.1:** an absent selector used to admit every namespace; set `namespaceSelector: {}` to keep that, " +
			"or `matchLabels` to admit some"},
	{Reasons: []string{"InvalidNamespaceSelector"}, Meaning: "`spec.namespaceSelector` does not parse as a label selector"},
	{Reasons: []string{"SecretNamespaceNotAllowed"},
		Meaning: "`spec.secretRef.namespace` is not the operator's cluster resource namespace; the Secret is never read"},
	{Reasons: []string{"KeyTypeMismatch", "EndpointNotAllowed"}, Note: ", …",
		Meaning: "the check failed for good (a Ghost key of another kind than declared, a refused endpoint); fix the provider"},
}

var events = []Entry{
	{Reasons: []string{"RefreshFailed"}, Note: warning,
		Meaning: "the periodic look at pending invites (accepted? expired?) failed for a passing reason (5xx, 429, timeout). " +
			"Nothing that was invited changes, so a Ready object stays Ready; it looks again at the next resync"},
	{Reasons: []string{"RevokeSkipped"}, Note: warning, Meaning: "pending invites without an invite ID cannot be revoked (Wix lists no pending invites)"},
	{Reasons: []string{"ResendFailed"}, Note: warning,
		Meaning: "some resends were refused or could not be made; `spec.resendPolicy` tries again while resends remain (`sent[].resends`), " +
			"a resend token does not: set a new one"},
}
