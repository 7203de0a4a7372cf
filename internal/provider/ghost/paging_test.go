package ghost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/siteops/invitation-operator/internal/provider"
)

// pagedInvites serves total invites in pages of the requested limit with Ghost's meta.pagination; with
// endless set, every page is full and says there is a next one.
func pagedInvites(t *testing.T, total int, endless bool) (*Client, *int) {
	t.Helper()
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var items []string
		last := min(page*limit, total)
		if endless {
			last = page * limit
		}
		for i := (page - 1) * limit; i < last; i++ {
			items = append(items, fmt.Sprintf(`{"id":"%024x","role_id":"r","status":"sent","email":"p%d@example.com","expires":1}`, i, i))
		}
		pages := (total + limit - 1) / limit
		next := "null"
		if page < pages || endless {
			next = strconv.Itoa(page + 1)
		}
		_, _ = fmt.Fprintf(w, `{"invites":[%s],"meta":{"pagination":{"page":%d,"limit":%d,"pages":%d,"total":%d,"next":%s,"prev":null}}}`,
			strings.Join(items, ","), page, limit, pages, total, next)
	}))
	t.Cleanup(srv.Close)
	c, err := New(provider.Config{Type: provider.Ghost, Credential: testKey, Sites: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return c, &requests
}

func TestListInvitesFollowsPagination(t *testing.T) {
	t.Parallel()
	c, requests := pagedInvites(t, 250, false)
	got, err := c.ListInvites(context.Background(), c.Sites()[0], "")
	if err != nil || len(got) != 250 || *requests != 3 {
		t.Fatalf("%d invites in %d requests, err %v; want 250 in 3", len(got), *requests, err)
	}
}

// TestListInvitesIsBounded: a server that always has a next page is read up to the entry cap, then the
// listing stops with ListingTooLong, and the caller's progress function saw it run.
func TestListInvitesIsBounded(t *testing.T) {
	t.Parallel()
	c, requests := pagedInvites(t, 50, true)
	var last provider.Listing
	ctx := provider.WithListingProgress(context.Background(), func(l provider.Listing) { last = l })
	_, err := c.ListInvites(ctx, c.Sites()[0], "")
	var perm *provider.PermanentError
	if !errors.As(err, &perm) || perm.Reason != provider.ReasonListingTooLong {
		t.Fatalf("a server that always has a next page: %v after %d requests", err, *requests)
	}
	if want := provider.MaxListEntries/PageSize + 1; *requests != want || last.Pages != want || last.Bytes == 0 {
		t.Fatalf("%d requests, progress %+v; want %d pages", *requests, last, want)
	}
}
