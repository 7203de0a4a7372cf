package provider

import (
	"context"
	"fmt"
)

// Query says what Observe must report about a site.
type Query struct {
	// Emails are the addresses the caller needs news of; a listing keeps only their entries, so memory
	// is bounded by the object, not by the site. Nil means every email (still within the listing caps).
	Emails []string
	// Lookup are addresses whose absence from the listing must be confirmed another way: WordPress.com
	// searches the site's members for each, one request per email, so keep it short.
	Lookup []string
}

// Wanted returns a test for the emails q asks about (every email when q.Emails is nil).
func (q Query) Wanted() func(email string) bool {
	if q.Emails == nil {
		return func(string) bool { return true }
	}
	set := make(map[string]bool, len(q.Emails))
	for _, e := range q.Emails {
		set[e] = true
	}
	return func(email string) bool { return set[email] }
}

// Caps of one listing (a site's invites or members): past either, the listing stops with a
// ListingTooLong error instead of growing without bound. 20,000 entries is 200 WordPress.com pages of 100;
// the byte cap matters when pages are large (a page may be up to 4 MiB).
const (
	MaxListEntries = 20000
	MaxListBytes   = 32 << 20
)

// Listing counts one listing's pages, entries and bytes, tells the caller's progress function (so a long
// listing shows on the object while it runs) and stops it at the caps.
type Listing struct {
	// What names the listing in messages ("the invites of example.wordpress.com").
	What    string
	Pages   int
	Entries int
	// Bytes is the size of the answers read so far; the HTTP layer adds to it (httpapi.Call.Received).
	Bytes    int64
	progress func(Listing)
}

type progressKey struct{}

// WithListingProgress returns a context whose listings call fn after every page.
func WithListingProgress(ctx context.Context, fn func(Listing)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// StartListing begins counting a listing for ctx's progress function.
func StartListing(ctx context.Context, what string) *Listing {
	fn, _ := ctx.Value(progressKey{}).(func(Listing))
	return &Listing{What: what, progress: fn}
}

// Page records one page of entries read (Bytes already counted) and returns a *PermanentError with reason
// ListingTooLong once a cap is passed.
func (l *Listing) Page(entries int) error {
	l.Pages++
	l.Entries += entries
	if l.progress != nil {
		l.progress(*l)
	}
	if l.Entries > MaxListEntries || l.Bytes > MaxListBytes {
		return &PermanentError{Reason: ReasonListingTooLong, Message: fmt.Sprintf(
			"%s did not end within %d entries or %d MiB (read %d entries, %d bytes in %d pages); the operator stops there",
			l.What, MaxListEntries, MaxListBytes>>20, l.Entries, l.Bytes, l.Pages)}
	}
	return nil
}
