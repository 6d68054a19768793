package config

import (
	"fmt"
	"reflect"
	"strings"
)

// exampleValues are the values `migrate init` writes; keys not listed here
// are written with their default.
var exampleValues = map[string]string{
	"client":                "Contoso Ltd",
	"consultant":            "Example IT Services",
	"logo":                  "",
	"source.host":           "mail.example.com",
	"source.admin_user":     "",
	"source.admin_password": "",
	"target.tenant":         "contoso.onmicrosoft.com",
	"target.client_id":      "00000000-0000-0000-0000-000000000000",
	"target.client_secret":  "env:MIGRATE_CLIENT_SECRET",
	"folders.exclude":       `["Trash", "Junk"]`,
}

// ExampleProject returns a commented example project file: every key, with
// its description, its environment variable and an example or default value.
func ExampleProject() string {
	var b strings.Builder
	b.WriteString("# migrate project file. Every key can be overridden by an environment\n")
	b.WriteString("# variable (shown after each key) or by --set key=value.\n")
	b.WriteString("# Secrets may be written as env:NAME or file:PATH instead of literals.\n")
	writeSection(&b, reflect.ValueOf(Defaults()), "", 0)
	return b.String()
}

// ExampleMailboxes returns an example mailbox CSV.
func ExampleMailboxes() string {
	return "EmailAddress,UserName,Password\n" +
		"alice@contoso.com,alice@example.com,env:ALICE_PASSWORD\n" +
		"bob@contoso.com,bob,file:secrets/bob.txt\n"
}

func writeSection(b *strings.Builder, v reflect.Value, prefix string, depth int) {
	t := v.Type()
	indent := strings.Repeat("  ", depth)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		if !isLeaf(f.Type) {
			fmt.Fprintf(b, "\n%s%s:\n", indent, tag)
			writeSection(b, v.Field(i), key, depth+1)
			continue
		}
		fmt.Fprintf(b, "%s# %s (%s)\n", indent, f.Tag.Get("doc"), EnvName(key))
		val, ok := exampleValues[key]
		if !ok {
			val = formatValue(v.Field(i))
		}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			fmt.Fprintf(b, "%s%s: []   # e.g. [{from: \"INBOX/Old\", to: \"Archive/Old\"}]\n", indent, tag)
			continue
		}
		fmt.Fprintf(b, "%s%s: %s\n", indent, tag, val)
	}
}

func formatValue(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case Secret:
		return `""`
	case Duration:
		return fmt.Sprint(timeDuration(x))
	case Size:
		if x == 0 {
			return `""`
		}
		return x.String()
	case Date:
		return `""`
	case []string:
		if len(x) == 0 {
			return "[]"
		}
		return fmt.Sprintf("%q", x)
	case string:
		if x == "" {
			return `""`
		}
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v.Interface())
}
