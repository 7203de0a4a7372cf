package reasons

import (
	"errors"
	"strings"
)

// Markers around the generated part of docs/troubleshooting.md; what lies between them is rewritten by
// Splice, what lies outside is hand-written.
const (
	BeginMarker = "<!-- BEGIN GENERATED from internal/reasons (make generate); edit internal/reasons/table.go, not this table -->"
	EndMarker   = "<!-- END GENERATED -->"
)

// Markdown renders every section as a heading and a table, the generated part of docs/troubleshooting.md.
func Markdown() string {
	var b strings.Builder
	for i, s := range Sections() {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("## " + s.Title + "\n\n| reason |")
		sep := "| --- |"
		for _, c := range s.Columns {
			b.WriteString(" " + c.Heading + " |")
			sep += " --- |"
		}
		b.WriteString("\n" + sep + "\n")
		for _, e := range s.Entries {
			b.WriteString("| " + reasonCell(e) + " |")
			for _, c := range s.Columns {
				b.WriteString(" " + c.Value(e) + " |")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Names is the entry's reasons as the document shows them: `A` / `B`.
func (e Entry) Names() string {
	names := make([]string, len(e.Reasons))
	for i, r := range e.Reasons {
		names[i] = "`" + r + "`"
	}
	return strings.Join(names, " / ")
}

func reasonCell(e Entry) string {
	switch {
	case e.Note == "":
		return e.Names()
	case strings.HasPrefix(e.Note, ","):
		return e.Names() + e.Note
	default:
		return e.Names() + " " + e.Note
	}
}

// Splice replaces the generated part of doc (between the markers) with Markdown().
func Splice(doc string) (string, error) {
	begin := strings.Index(doc, BeginMarker)
	end := strings.Index(doc, EndMarker)
	if begin < 0 || end < begin {
		return "", errors.New("the document lacks the generated-section markers " + BeginMarker + " … " + EndMarker)
	}
	return doc[:begin+len(BeginMarker)] + "\n" + Markdown() + doc[end:], nil
}
