package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/siteops/invitation-operator/internal/ledger"
	"github.com/siteops/invitation-operator/internal/reasons"
)

func newExplainCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "explain NAME",
		Short: "A SiteInvitation's conditions and failures, with what each reason means and what to do",
		Long: "explain prints the object's conditions and its status.failed entries grouped by reason, each with the " +
			"troubleshooting text of docs/troubleshooting.md (both come from one table in the operator's source).",
		Example: "  kubectl invitations explain -n marketing blog-authors",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, obj, err := o.named(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			ex := explainOf(obj)
			if o.output == outputJSON || o.output == outputYAML {
				return o.printData(ex)
			}
			return o.printExplanation(ex)
		},
	}
}

// explanation is what `explain` says about one object.
type explanation struct {
	Namespace  string               `json:"namespace"`
	Name       string               `json:"name"`
	Provider   string               `json:"provider"`
	Site       string               `json:"site"`
	States     map[string]int       `json:"states"`
	Conditions []explainedCondition `json:"conditions"`
	Failures   []explainedFailure   `json:"failures,omitempty"`
	Suspended  bool                 `json:"suspended,omitempty"`
	Generation int64                `json:"generation"`
	Observed   int64                `json:"observedGeneration"`
}

// advice is the troubleshooting text of one reason, or a note that this version does not know it.
type advice struct {
	Meaning string `json:"meaning,omitempty"`
	Action  string `json:"whatToDo,omitempty"`
	Retried string `json:"retriedAutomatically,omitempty"`
	Unknown bool   `json:"unknownReason,omitempty"`
}

type explainedCondition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	Reason             string    `json:"reason"`
	Message            string    `json:"message,omitempty"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
	advice
}

type explainedFailure struct {
	Reason   string   `json:"reason"`
	Emails   []string `json:"emails"`
	Messages []string `json:"messages,omitempty"`
	advice
}

func adviceFor(e reasons.Entry, ok bool) advice {
	if !ok {
		return advice{Unknown: true}
	}
	return advice{Meaning: reasons.Plain(e.Meaning), Action: reasons.Plain(e.Action), Retried: reasons.Plain(e.Retried)}
}

func explainOf(obj object) explanation {
	ex := explanation{Namespace: obj.Namespace, Name: obj.Name, Provider: string(obj.Spec.Provider), Site: obj.Spec.Site,
		States: statusOf(obj).States, Suspended: obj.Spec.Suspend, Generation: obj.Generation, Observed: obj.Status.ObservedGeneration,
		Conditions: []explainedCondition{}}
	for _, c := range obj.Status.Conditions {
		ex.Conditions = append(ex.Conditions, explainedCondition{Type: c.Type, Status: string(c.Status), Reason: c.Reason, Message: c.Message,
			LastTransitionTime: c.LastTransitionTime.Time, advice: adviceFor(reasons.Condition(c.Reason))})
	}
	byReason := map[string]*explainedFailure{}
	for _, p := range ledger.People(&obj.Spec, &obj.Status) {
		if p.Standing != ledger.StandingFailed {
			continue
		}
		f := byReason[p.Failed.Reason]
		if f == nil {
			f = &explainedFailure{Reason: p.Failed.Reason, advice: adviceFor(reasons.Failure(p.Failed.Reason))}
			byReason[p.Failed.Reason] = f
		}
		f.Emails = append(f.Emails, p.Email)
		if m := p.Failed.Message; m != "" && !contains(f.Messages, m) {
			f.Messages = append(f.Messages, m)
		}
	}
	for _, f := range byReason {
		ex.Failures = append(ex.Failures, *f)
	}
	sort.Slice(ex.Failures, func(i, j int) bool { return ex.Failures[i].Reason < ex.Failures[j].Reason })
	return ex
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// lines writes formatted lines and keeps the first error, so a long report checks it once.
type lines struct {
	w   io.Writer
	err error
}

func (l *lines) printf(format string, a ...any) {
	if l.err == nil {
		_, l.err = fmt.Fprintf(l.w, format, a...)
	}
}

func (o *options) printExplanation(ex explanation) error {
	l := &lines{w: o.streams.Out}
	l.printf("SiteInvitation %s/%s (%s, site %s)\n", ex.Namespace, ex.Name, ex.Provider, ex.Site)
	var counts []string
	for _, s := range ledger.AllStandings {
		if n := ex.States[string(s)]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, s))
		}
	}
	l.printf("People: %s\n", strings.Join(counts, ", "))
	if ex.Suspended {
		l.printf("Suspended: spec.suspend is true; the operator makes no provider call (kubectl invitations plan shows what it would do)\n")
	}
	if ex.Observed != ex.Generation {
		l.printf("Generation %d is not fully processed yet (observedGeneration %d)\n", ex.Generation, ex.Observed)
	}
	l.printf("\nConditions:\n")
	if len(ex.Conditions) == 0 {
		l.printf("  none yet: the operator has not written this object (is it running, and does its shard select it?)\n")
	}
	explained := map[string]bool{}
	for _, c := range ex.Conditions {
		l.printf("  %s=%s  %s  (%s)\n", c.Type, c.Status, c.Reason, o.age(c.LastTransitionTime))
		if c.Message != "" {
			l.printf("    %s\n", c.Message)
		}
		if !explained[c.Reason] {
			explained[c.Reason] = true
			l.advice(c.advice, c.Reason)
		}
	}
	if len(ex.Failures) > 0 {
		l.printf("\nNot invited:\n")
	}
	for _, f := range ex.Failures {
		l.printf("  %s (%d): %s\n", f.Reason, len(f.Emails), strings.Join(f.Emails, ", "))
		for _, m := range f.Messages {
			l.printf("    provider said: %s\n", m)
		}
		l.advice(f.advice, f.Reason)
	}
	return l.err
}

func (l *lines) advice(a advice, reason string) {
	if a.Unknown {
		l.printf("    (this plugin has no text for %s; a newer operator? see docs/troubleshooting.md)\n", reason)
		return
	}
	l.printf("    What it means: %s\n", a.Meaning)
	if a.Retried != "" {
		l.printf("    Retried automatically: %s\n", a.Retried)
	}
	if a.Action != "" {
		l.printf("    What to do: %s\n", a.Action)
	}
}
