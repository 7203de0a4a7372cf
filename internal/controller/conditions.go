package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition types, following kstatus: Ready summarises; Reconciling is True while work is under way;
// Stalled is True when progress needs a human.
const (
	TypeReady       = "Ready"
	TypeReconciling = "Reconciling"
	TypeStalled     = "Stalled"
)

// Condition reasons. docs/troubleshooting.md explains each one and what to do.
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
	ReasonCredentialMalformed  = "CredentialMalformed"
	ReasonCredentialRejected   = "CredentialRejected"
	ReasonForbidden            = "Forbidden"
	ReasonInvitesFailed        = "InvitesFailed"
	ReasonRevoking             = "Revoking"
	ReasonVerified             = "Verified"
	ReasonNotVerifiable        = "CredentialPresent"
)

// ReasonRefreshFailed is the reason of the Warning event when the periodic look at pending invites fails
// for a passing reason; it changes no condition.
const ReasonRefreshFailed = "RefreshFailed"

// conditionState is the three kstatus conditions decided together, so they never contradict each other.
type conditionState struct {
	Ready       bool
	Reconciling bool
	Stalled     bool
	Reason      string
	Message     string
}

// setConditions writes the three conditions for generation; Reconciling and Stalled are removed when
// false (kstatus: abnormal-true conditions are present only while true).
func setConditions(conds *[]metav1.Condition, generation int64, c conditionState) {
	ready := metav1.ConditionFalse
	if c.Ready {
		ready = metav1.ConditionTrue
	}
	meta.SetStatusCondition(conds, metav1.Condition{Type: TypeReady, Status: ready, Reason: c.Reason,
		Message: truncateMessage(c.Message), ObservedGeneration: generation})
	for _, tc := range []struct {
		typ string
		on  bool
	}{{TypeReconciling, c.Reconciling}, {TypeStalled, c.Stalled}} {
		typ, on := tc.typ, tc.on
		if !on {
			meta.RemoveStatusCondition(conds, typ)
			continue
		}
		meta.SetStatusCondition(conds, metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: c.Reason,
			Message: truncateMessage(c.Message), ObservedGeneration: generation})
	}
}

func truncateMessage(s string) string {
	const limit = 1024
	if len(s) <= limit {
		return s
	}
	return s[:limit-3] + "..."
}
