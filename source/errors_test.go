package source_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/migrate-tool/migrate/source"
)

func TestNewErrorMatchesItsKind(t *testing.T) {
	kinds := []error{source.ErrConnect, source.ErrAuth, source.ErrNotFound, source.ErrValidityChanged}
	for _, kind := range kinds {
		t.Run(kind.Error(), func(t *testing.T) {
			sentinel := source.NewError("adapter: something", kind)
			err := fmt.Errorf("mailbox a@example.com: %w: detail", sentinel)
			if !errors.Is(err, sentinel) || !errors.Is(err, kind) {
				t.Fatalf("errors.Is(%v, sentinel/kind) = false, want true", err)
			}
			for _, other := range kinds {
				if other != kind && errors.Is(err, other) {
					t.Errorf("errors.Is(%v, %v) = true, want false", err, other)
				}
			}
			if sentinel.Error() != "adapter: something" {
				t.Errorf("Error() = %q, want the adapter's own text", sentinel.Error())
			}
		})
	}
}
