package graph

import (
	"context"
	"iter"
)

// page is a Graph collection response: one page of values and the link to
// the next one.
type page[T any] interface {
	GetValue() []T
	GetOdataNextLink() *string
}

// pages streams every value of a paged Graph list, following
// @odata.nextLink until a page has none
// (https://learn.microsoft.com/graph/paging). first gets the first page and
// byLink a later one by its link; each request is paced and retried for the
// mailbox, and a failure is yielded once, described as the operation what.
func pages[T any, P page[T]](ctx context.Context, mb *mailbox, where, what string,
	first func(context.Context) (P, error), byLink func(context.Context, string) (P, error)) iter.Seq2[T, error] {
	return permPages(ctx, mb, permMail, where, what, first, byLink)
}

// permPages is pages for a list that needs permission perm (named in a
// 403's error).
func permPages[T any, P page[T]](ctx context.Context, mb *mailbox, perm, where, what string,
	first func(context.Context) (P, error), byLink func(context.Context, string) (P, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		next := ""
		for {
			var pg P
			err := mb.c.retry(ctx, mb.pace, where, what, func(ctx context.Context) error {
				var err error
				if next == "" {
					pg, err = first(ctx)
				} else {
					pg, err = byLink(ctx, next)
				}
				return err
			}, nil)
			if err != nil {
				var zero T
				yield(zero, mb.c.describe(err, where, what, perm))
				return
			}
			for _, v := range pg.GetValue() {
				if !yield(v, nil) {
					return
				}
			}
			link := pg.GetOdataNextLink()
			if link == nil || *link == "" {
				return
			}
			next = *link
		}
	}
}
