package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/migrate-tool/migrate/migrate/config"
	"github.com/migrate-tool/migrate/source/testserver/seed"
)

// demoStoreUser is the target of the demo's local store row: a user of
// the client who kept his mail only in Thunderbird (POP, downloaded and
// deleted from the server), so it goes into a mailbox of his own.
const demoStoreUser = "dave@example.test"

// writeDemoStore writes the Thunderbird profile embedded in the binary
// (seed.Thunderbird) under outDir and returns the CSV row that migrates
// its mail account, as a consultant would write it: SourceProtocol local
// (the kind detected: a Thunderbird account directory), SourcePath the
// profile's Mail/Local Folders.
func writeDemoStore(outDir string) (config.Mailbox, error) {
	profile := filepath.Join(outDir, "thunderbird-profile")
	if err := os.CopyFS(profile, seed.Thunderbird()); err != nil {
		return config.Mailbox{}, fmt.Errorf("demo: writing the Thunderbird profile: %w", err)
	}
	return config.Mailbox{
		EmailAddress: demoStoreUser, Protocol: "local",
		SourcePaths: []string{filepath.Join(profile, filepath.FromSlash(seed.ThunderbirdAccount))},
	}, nil
}
