package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	invv1 "github.com/siteops/invitation-operator/api/v1alpha1"
	"github.com/siteops/invitation-operator/internal/provider"
)

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
	meta.SetStatusCondition(conds, metav1.Condition{Type: invv1.ConditionReady, Status: ready, Reason: c.Reason,
		Message: truncateMessage(c.Message), ObservedGeneration: generation})
	for _, tc := range []struct {
		typ string
		on  bool
	}{{invv1.ConditionReconciling, c.Reconciling}, {invv1.ConditionStalled, c.Stalled}} {
		typ, on := tc.typ, tc.on
		if !on {
			meta.RemoveStatusCondition(conds, typ)
			continue
		}
		meta.SetStatusCondition(conds, metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: c.Reason,
			Message: truncateMessage(c.Message), ObservedGeneration: generation})
	}
}

// maxConditionMessage keeps condition messages readable in kubectl and far below the API's 32 KiB.
const maxConditionMessage = 1024

// truncateMessage cuts a message on a character boundary.
func truncateMessage(s string) string { return provider.Truncate(s, maxConditionMessage) }
