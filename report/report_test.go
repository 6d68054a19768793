package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/migrate-tool/migrate/migrate/plan"
)

// update rewrites the golden files: go test ./report -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata and the schema")

// golden compares got with testdata/name, or writes it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -run %s -update to create it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got; go test ./report -update rewrites it):\n%s", path, diff)
	}
}

// fixtureDocs are the documents the golden tests render.
func fixtureDocs(t *testing.T) map[string]*Document {
	t.Helper()
	in := fixtureState(t)
	in.Verification = fixtureVerification()
	opts := func(mask bool) *Options {
		return &Options{Now: day0, Tool: "migrate v1.0.0", Mask: mask}
	}
	return map[string]*Document{
		"assessment":        Assessment(fixturePlan(), opts(false)),
		"assessment-masked": Assessment(fixturePlan(), opts(true)),
		"assessment-pop":    Assessment(popPlan(), opts(false)),
		"migration":         Migration(in, &Options{Now: day0, Tool: "migrate v1.0.0", Consultant: "Fabrikam IT"}),
	}
}

func TestGolden(t *testing.T) {
	docs := fixtureDocs(t)
	for _, tt := range []struct {
		doc    string
		format Format
	}{
		{"assessment", FormatMarkdown},
		{"assessment", FormatJSON},
		{"assessment-masked", FormatMarkdown},
		{"assessment-pop", FormatMarkdown},
		{"migration", FormatMarkdown},
		{"migration", FormatJSON},
	} {
		t.Run(tt.doc+"."+string(tt.format), func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, docs[tt.doc], tt.format); err != nil {
				t.Fatalf("Render() = %v", err)
			}
			golden(t, tt.doc+"."+string(tt.format), b.Bytes())
		})
	}
}

func TestMasked(t *testing.T) {
	d := fixtureDocs(t)["assessment-masked"]
	var b bytes.Buffer
	for _, f := range []Format{FormatJSON, FormatMarkdown} {
		if err := Render(&b, d, f); err != nil {
			t.Fatal(err)
		}
	}
	for _, addr := range []string{"alice@", "bob@", "carol@"} {
		if strings.Contains(b.String(), addr) {
			t.Errorf("masked report contains %q", addr)
		}
	}
	if !strings.Contains(b.String(), "a***e@contoso.com") {
		t.Error("masked report lacks a***e@contoso.com")
	}
}

// TestSchema keeps report/schema/report-v1.schema.json current and checks
// that the JSON reports have exactly the fields the schema lists.
func TestSchema(t *testing.T) {
	s := JSONSchema()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("schema", "report-v1.schema.json")
	if *update {
		if err := os.MkdirAll("schema", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want, err := os.ReadFile(path); err != nil || string(want) != b.String() {
		t.Errorf("%s is out of date (go test ./report -run TestSchema -update rewrites it): %v", path, err)
	}
	for name, d := range fixtureDocs(t) {
		var out bytes.Buffer
		if err := WriteJSON(&out, d); err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(out.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		checkSchema(t, name, s, s, v)
	}
}

// checkSchema checks v against the subset of JSON Schema that JSONSchema
// emits: types, required properties, no additional properties, $ref.
func checkSchema(t *testing.T, at string, root, s map[string]any, v any) {
	t.Helper()
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		checkSchema(t, at, root, root["$defs"].(map[string]any)[name].(map[string]any), v)
		return
	}
	switch s["type"] {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: %T, want an object", at, v)
			return
		}
		props := s["properties"].(map[string]any)
		for _, r := range s["required"].([]string) {
			if _, ok := obj[r]; !ok {
				t.Errorf("%s: required property %q missing", at, r)
			}
		}
		for k, x := range obj {
			ps, ok := props[k].(map[string]any)
			if !ok {
				t.Errorf("%s: property %q is not in the schema", at, k)
				continue
			}
			checkSchema(t, at+"."+k, root, ps, x)
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			t.Errorf("%s: %T, want an array", at, v)
			return
		}
		for i, x := range arr {
			checkSchema(t, at+"["+string(rune('0'+i%10))+"]", root, s["items"].(map[string]any), x)
		}
	case "string":
		if _, ok := v.(string); !ok {
			t.Errorf("%s: %T, want a string", at, v)
		}
	case "integer", "number":
		if _, ok := v.(float64); !ok {
			t.Errorf("%s: %T, want a number", at, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			t.Errorf("%s: %T, want a boolean", at, v)
		}
	}
}

func TestFormatHelpers(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{Number(0), "0"}, {Number(999), "999"}, {Number(1000), "1,000"}, {Number(-1234567), "-1,234,567"},
		{Bytes(512), "512 B"}, {Bytes(1536), "1.5 KB"}, {Bytes(35 << 20), "35.0 MB"}, {Bytes(3 << 40), "3.0 TB"},
		{MaskAddress("alice@contoso.com"), "a***e@contoso.com"}, {MaskAddress("al@x.org"), "a***@x.org"}, {MaskAddress("bob"), "b***b"},
		{MaskText("mailbox bob@contoso.com failed"), "mailbox b***b@contoso.com failed"},
		{displayTarget("msgfolderroot/work (2)"), "work (2)"}, {displayTarget("inbox"), "Inbox"}, {displayTarget("sentitems/2019"), "Sent Items/2019"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestCharts(t *testing.T) {
	for _, tt := range []struct{ v, want float64 }{{0, 4}, {3, 4}, {5, 8}, {40, 40}, {41, 80}, {600, 800}, {1000, 1000}, {1001, 2000}} {
		if got := niceMax(tt.v); got != tt.want {
			t.Errorf("niceMax(%v) = %v, want %v", tt.v, got, tt.want)
		}
	}
	docs := fixtureDocs(t)
	for name, want := range map[string][]string{
		"assessment": {"Mailbox sizes", "Items per year received", "Items by size"},
		"migration":  {"Mailbox sizes", "Outcome per mailbox (items)", "Progress over time (items migrated)"},
	} {
		var got []string
		for _, c := range charts(docs[name]) {
			got = append(got, c.Title())
			if c.height <= 0 || len(c.shapes) == 0 {
				t.Errorf("%s: chart %q is empty", name, c.Title())
			}
			svg := c.svg()
			if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(svg, "</svg>") {
				t.Errorf("%s: chart %q is not an SVG element", name, c.Title())
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: charts mismatch (-want +got):\n%s", name, diff)
		}
	}
}

// TestKeywordsAndGuessedRolesInEveryFormat: the dropped keywords and a
// role guessed from a folder name show in every format of both reports.
func TestKeywordsAndGuessedRolesInEveryFormat(t *testing.T) {
	docs := fixtureDocs(t)
	tests := []struct {
		doc  string
		want []string
	}{
		{"assessment", []string{"Keywords dropped", "$MDNSent on 38 items", "keywords.keep", "guessed from the name"}},
		{"migration", []string{"Keywords dropped", "$MDNSent on 2 items", "3 items were migrated without keywords"}},
	}
	for _, tt := range tests {
		d := docs[tt.doc]
		texts := map[string]string{}
		for _, f := range []struct {
			name  string
			write func(io.Writer, *Document) error
		}{{"markdown", WriteMarkdown}, {"html", WriteHTML}, {"json", WriteJSON}, {"pdf", WritePDF}} {
			var b bytes.Buffer
			if err := f.write(&b, d); err != nil {
				t.Fatalf("%s %s: %v", tt.doc, f.name, err)
			}
			texts[f.name] = b.String()
			if f.name == "pdf" {
				texts[f.name] = strings.Join(strings.Fields(pdfText(t, b.Bytes())), " ")
			}
		}
		for format, text := range texts {
			for _, want := range tt.want {
				if format == "markdown" {
					want = strings.ReplaceAll(want, "_", `\_`)
				}
				if !strings.Contains(text, want) {
					t.Errorf("%s %s lacks %q", tt.doc, format, want)
				}
			}
		}
		var j struct {
			Summary struct {
				KeywordsDropped int64 `json:"keywords_dropped"`
			}
			Appendix []struct {
				Keywords []KeywordRow `json:"dropped_keywords"`
			}
			Mailboxes []struct {
				KeywordsDropped int64 `json:"keywords_dropped"`
			}
		}
		if err := json.Unmarshal([]byte(texts["json"]), &j); err != nil {
			t.Fatal(err)
		}
		if j.Summary.KeywordsDropped == 0 || len(j.Appendix[0].Keywords) == 0 || j.Mailboxes[0].KeywordsDropped == 0 {
			t.Errorf("%s JSON: keywords_dropped %d, first mailbox %d, dropped_keywords %v; want them set", tt.doc, j.Summary.KeywordsDropped, j.Mailboxes[0].KeywordsDropped, j.Appendix[0].Keywords)
		}
	}
}

// TestAssessmentTenantProbe: a plan's tenant probe is summed up in the
// assessment, with the tenant's answer on attachments.
func TestAssessmentTenantProbe(t *testing.T) {
	for _, tc := range []struct {
		tp   plan.TenantProbe
		want string
	}{
		{plan.TenantProbe{Mailbox: "test@contoso.com", AttachToReceived: "no", Checks: []plan.ProbeCheck{{Kept: true}, {Kept: false}}},
			"A test message created on test@contoso.com kept 1 of 2 properties checked; the tenant refuses attachments added to received mail"},
		{plan.TenantProbe{Mailbox: "test@contoso.com", Error: "HTTP 403"}, "The tenant probe on test@contoso.com failed: HTTP 403."},
	} {
		p := fixturePlan()
		p.TenantProbe = &tc.tp
		d := Assessment(p, nil)
		if !strings.Contains(strings.Join(d.Summary.Points, "\n"), tc.want) {
			t.Errorf("summary points lack %q:\n%s", tc.want, strings.Join(d.Summary.Points, "\n"))
		}
	}
}
