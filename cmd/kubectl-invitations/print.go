package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/yaml"
)

// table writes aligned columns the way kubectl does (its tabwriter settings).
type table struct{ w *tabwriter.Writer }

func newTable(out io.Writer, headings ...string) *table {
	t := &table{w: tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)}
	t.row(headings...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(c)
	}
	_, _ = fmt.Fprintln(t.w, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.w.Flush() }

// printData writes v as JSON or YAML, for -o json and -o yaml.
func (o *options) printData(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if o.output == outputYAML {
		if b, err = yaml.JSONToYAML(b); err != nil {
			return err
		}
	} else {
		b = append(b, '\n')
	}
	_, err = o.streams.Out.Write(b)
	return err
}

// age is how long ago t was, as kubectl shows it ("5m", "3d2h"); "-" for no time.
func (o *options) age(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(o.now().Sub(t))
}

// until says how far t lies ahead ("in 5m") or behind ("5m ago").
func (o *options) until(t time.Time) string {
	if d := t.Sub(o.now()); d > 0 {
		return "in " + duration.HumanDuration(d)
	}
	return o.age(t) + " ago"
}

func itoa(n int) string { return fmt.Sprint(n) }
