// Package reasons is the one place that says what each condition, failure and event reason means and
// what to do about it. docs/troubleshooting.md's tables are generated from it (make generate) and
// `kubectl invitations explain` prints the same text next to an object's conditions, so the two cannot
// drift apart: a test fails when the document is stale or when a reason the operator sets is missing here.
//
// The text is Markdown (backticks, bold); Plain strips it for a terminal.
package reasons

import (
	"regexp"
	"slices"
	"strings"
)

// Section groups the reasons of one kind of object or record, and renders as one table.
type Section struct {
	// ID names the section for lookups and for the generated document's markers.
	ID SectionID
	// Title is the section's heading in docs/troubleshooting.md.
	Title string
	// Columns are the table's headings after "reason"; each names an Entry field.
	Columns []Column
	// Entries are the table's rows, in the document's order.
	Entries []Entry
}

// SectionID names a section.
type SectionID string

// The sections, in the document's order.
const (
	SiteInvitationConditions SectionID = "siteinvitation-conditions"
	FailedReasons            SectionID = "failed-reasons"
	ProviderConditions       SectionID = "provider-conditions"
	Events                   SectionID = "events"
)

// Column is one Entry field shown in a section's table.
type Column struct {
	Heading string
	Value   func(Entry) string
}

// Entry explains one reason, or several that mean the same thing to a user.
type Entry struct {
	// Reasons are the CamelCase values the operator writes (condition reason, status.failed[].reason,
	// event reason).
	Reasons []string
	// Note qualifies where the reason shows up ("in status.failed"), shown after the names.
	Note string
	// Conditions says which conditions carry the reason (SiteInvitation conditions only).
	Conditions string
	// Retried says whether and when the operator tries again by itself (status.failed reasons only).
	Retried string
	// Meaning says what happened.
	Meaning string
	// Action says what to do about it; empty where the meaning says it.
	Action string
}

var (
	colConditions = Column{"conditions", func(e Entry) string { return e.Conditions }}
	colRetried    = Column{"retried automatically", func(e Entry) string { return e.Retried }}
	colMeaning    = Column{"what it means", func(e Entry) string { return e.Meaning }}
	colMeaningAlt = Column{"meaning", func(e Entry) string { return e.Meaning }}
	colAction     = Column{"what to do", func(e Entry) string { return e.Action }}
)

// Sections returns every section, in the document's order.
func Sections() []Section {
	return []Section{
		{ID: SiteInvitationConditions, Title: "SiteInvitation conditions", Columns: []Column{colConditions, colMeaning, colAction},
			Entries: siteInvitationConditions},
		{ID: FailedReasons, Title: "status.failed reasons", Columns: []Column{colRetried, colMeaningAlt}, Entries: failedReasons},
		{ID: ProviderConditions, Title: "Provider conditions", Columns: []Column{colMeaningAlt}, Entries: providerConditions},
		{ID: Events, Title: "Events that change no condition", Columns: []Column{colMeaningAlt}, Entries: events},
	}
}

// Lookup finds the entry of reason in section id.
func Lookup(id SectionID, reason string) (Entry, bool) {
	for _, s := range Sections() {
		if s.ID != id {
			continue
		}
		for _, e := range s.Entries {
			if slices.Contains(e.Reasons, reason) {
				return e, true
			}
		}
	}
	return Entry{}, false
}

// Condition explains a SiteInvitation condition reason.
func Condition(reason string) (Entry, bool) { return Lookup(SiteInvitationConditions, reason) }

// Failure explains a status.failed[].reason: the failures table first, then the condition rows that
// also name failures (UnknownRole, EndpointNotAllowed).
func Failure(reason string) (Entry, bool) {
	if e, ok := Lookup(FailedReasons, reason); ok {
		return e, true
	}
	return Condition(reason)
}

var (
	markdownLink = regexp.MustCompile(`\[([^\]]+)\]\([^)]+\)`)
	plainer      = strings.NewReplacer("`", "", "**", "")
)

// Plain is s without Markdown: no backticks, no bold, links reduced to their text. For terminals.
func Plain(s string) string {
	return plainer.Replace(markdownLink.ReplaceAllString(s, "$1"))
}
