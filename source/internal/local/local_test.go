package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/source"
)

func TestUnique(t *testing.T) {
	taken := map[string]bool{}
	tests := []struct {
		path, want []string
	}{
		{[]string{"INBOX"}, []string{"INBOX"}},
		{[]string{"a", "Sent"}, []string{"a", "Sent"}},
		{[]string{"A", "sent"}, []string{"A", "sent (2)"}},
		{[]string{"a", "Sent"}, []string{"a", "Sent (3)"}},
		{[]string{"a", "Sent (2)"}, []string{"a", "Sent (2) (2)"}},
		{[]string{"inbox"}, []string{"inbox (2)"}},
	}
	for _, tt := range tests {
		in := append([]string(nil), tt.path...)
		got := Unique(taken, in)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Unique(%q) (-want +got):\n%s", tt.path, diff)
		}
		if !cmp.Equal(in, tt.path) {
			t.Errorf("Unique(%q) changed its argument to %q", tt.path, in)
		}
	}
}

type wrapped struct {
	Folder
	extra string
}

func TestFind(t *testing.T) {
	folders := []wrapped{
		{Folder: Folder{Folder: source.Folder{Name: "/m/a", Path: []string{"a"}, NoSelect: true}}},
		{Folder: Folder{Folder: source.Folder{Name: "/m/a/b", Path: []string{"a", "b"}}, Dir: "/m/a/b"}, extra: "b"},
	}
	tests := []struct {
		f       source.Folder
		want    string // extra of the folder found
		wantErr string
	}{
		{f: source.Folder{Name: "/m/a/b"}, want: "b"},
		{f: source.Folder{Name: "/m/a/b", Kind: source.KindMessage}, want: "b"},
		{f: source.Folder{Name: "/m/a/b", Kind: source.KindContact}, wantErr: "store: no folder /m/a/b"},
		{f: source.Folder{Name: "/m/a"}, wantErr: "store: folder /m/a holds only folders"},
		{f: source.Folder{Name: "/m/c"}, wantErr: "store: no folder /m/c"},
	}
	for _, tt := range tests {
		got, err := Find("store", folders, tt.f)
		if tt.wantErr != "" {
			if err == nil || !errors.Is(err, source.ErrNotFound) || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("Find(%q, kind %q) = %v, want %q wrapping source.ErrNotFound", tt.f.Name, tt.f.Kind, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.extra != tt.want || got != &folders[1] {
			t.Errorf("Find(%q, kind %q) = %v, %v, want the folder %q", tt.f.Name, tt.f.Kind, got, err, tt.want)
		}
	}
}

func TestCountsAndGuessRoles(t *testing.T) {
	folders := []Folder{
		{Folder: source.Folder{Name: "p", Path: []string{"Parent"}, NoSelect: true}},
		{Folder: source.Folder{Name: "s", Path: []string{"Parent", "Sent Items"}}, Dir: "s"},
	}
	GuessRoles(folders)
	if folders[1].SpecialUse != source.Sent || !folders[1].SpecialUseGuessed {
		t.Errorf("GuessRoles: Sent Items has role %q (guessed %v), want %q guessed", folders[1].SpecialUse, folders[1].SpecialUseGuessed, source.Sent)
	}
	got, err := Counts(context.Background(), folders, func(f *Folder, g *source.Folder) error {
		g.Count, g.Bytes = 2, 20
		g.Path[0] = "changed"
		return nil
	})
	if err != nil {
		t.Fatalf("Counts() = %v", err)
	}
	if got[0].Count != -1 || got[0].Bytes != -1 || got[1].Count != 2 || got[1].Bytes != 20 {
		t.Errorf("Counts() counts = %d/%d, %d/%d, want -1/-1, 2/20", got[0].Count, got[0].Bytes, got[1].Count, got[1].Bytes)
	}
	if folders[1].Path[0] != "Parent" {
		t.Errorf("Counts() let count change the folder's own Path: %q", folders[1].Path)
	}
	want := errors.New("unreadable")
	if _, err := Counts(context.Background(), folders, func(*Folder, *source.Folder) error { return want }); !errors.Is(err, want) {
		t.Errorf("Counts() = %v, want count's error", err)
	}
}

func TestDirs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		roots   []string
		want    []string
		wantErr string
	}{
		{roots: []string{dir + "/./", dir}, want: []string{dir, dir}},
		{roots: []string{dir, file}, want: []string{dir}, wantErr: "store: " + file + " is not a directory; give a directory"},
		{roots: []string{dir + "/missing"}, wantErr: "store: " + dir + "/missing: stat"},
	}
	for _, tt := range tests {
		var got []string
		var err error
		for root, e := range Dirs(context.Background(), "store", tt.roots, "give a directory") {
			if e != nil {
				err = e
				break
			}
			got = append(got, root)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Dirs(%q) roots (-want +got):\n%s", tt.roots, diff)
		}
		if (err == nil) != (tt.wantErr == "") || err != nil && !strings.HasPrefix(err.Error(), tt.wantErr) {
			t.Errorf("Dirs(%q) error = %v, want %q", tt.roots, err, tt.wantErr)
		}
	}
}
