package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/migrate/plan"
	"github.com/migrate-tool/migrate/target/graphemu"
)

// TestProbeDoctorPlanRun runs the tenant probe from the command line
// against both behaviours of the emulator: doctor --probe reports each
// property and leaves nothing behind; plan --probe records the answers;
// run --plan takes its path from them (a tenant that refuses attachments
// on received mail gets drafts at once, without a refused request first).
func TestProbeDoctorPlanRun(t *testing.T) {
	d := startDovecot(t)
	first := d.Users[0].Name
	for _, tc := range []struct {
		name       string
		onNonDraft bool
		doctorCode int
		answer     string
	}{
		{"accepted", true, exitOK, "yes"},
		{"refused", false, exitItemsFailed, "no"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := startEmulator(t, d, graphemu.Options{AttachmentsOnNonDraft: tc.onNonDraft})
			p := writeProject(t, d, ep)
			before := len(ep.Emulator.DumpMailbox(nil, first).Folders)

			code, stdout, stderr := runCLI(t, "doctor", "--config", p.config, "--probe", first)
			if code != tc.doctorCode {
				t.Fatalf("doctor --probe: exit %d, want %d\n%s\n%s", code, tc.doctorCode, stdout, stderr)
			}
			for _, want := range []string{"Tenant probe on " + first, "[kept] received mail, not a draft", "5 MB attachment through an upload session",
				"attachments added to received mail " + tc.answer, "were deleted"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("doctor --probe output lacks %q:\n%s", want, stdout)
				}
			}
			if dump := ep.Emulator.DumpMailbox(nil, first); len(dump.Folders) != before {
				t.Errorf("the probe left folders behind: %d, %d before", len(dump.Folders), before)
			}

			planFile := filepath.Join(p.dir, "plan.json")
			code, stdout, stderr = runCLI(t, "plan", "--config", p.config, "--out", planFile, "--probe", first)
			if code != exitOK {
				t.Fatalf("plan --probe: exit %d\n%s\n%s", code, stdout, stderr)
			}
			saved, err := plan.Read(planFile)
			if err != nil {
				t.Fatal(err)
			}
			tp := saved.TenantProbe
			if tp == nil || tp.AttachToReceived != tc.answer || tp.ReceivedMail != "yes" || tp.Error != "" || len(tp.Checks) < 9 {
				t.Fatalf("plan's tenant probe = %+v", tp)
			}
			refusedRisk := false
			for _, r := range saved.Risks {
				refusedRisk = refusedRisk || r.Code == "probe_attach_refused"
			}
			if refusedRisk != !tc.onNonDraft {
				t.Errorf("probe_attach_refused risk %v, want %v: %+v", refusedRisk, !tc.onNonDraft, saved.Risks)
			}

			code, stdout, stderr = p.run(t, "--plan", planFile)
			if code != exitOK {
				t.Fatalf("run --plan: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, "tenant probe") {
				t.Errorf("the run's log does not say it used the probe's answers:\n%s", stderr)
			}
			if strings.Contains(stderr, "refused an attachment on received mail") {
				t.Errorf("the run tried received mail first although the plan knew the answer:\n%s", stderr)
			}
			drafts := 0
			for _, u := range d.Users {
				for _, f := range ep.Emulator.DumpMailbox(nil, u.Name).Folders {
					for _, it := range f.Items {
						if it.IsDraft && f.WellKnown != "drafts" {
							drafts++
						}
					}
				}
			}
			if (drafts > 0) != !tc.onNonDraft {
				t.Errorf("%d messages created as drafts outside Drafts, want some only when the tenant refuses attachments on received mail", drafts)
			}
		})
	}
}
