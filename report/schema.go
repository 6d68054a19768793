package report

import (
	"reflect"
	"strings"
	"time"
)

// JSONSchema returns the JSON Schema (draft 2020-12) of a Document's JSON
// form, built from the types' json and desc tags: every property with its
// description, type and whether it is always present. The committed copy
// is report/schema/report-v1.schema.json; a test keeps it current.
func JSONSchema() map[string]any {
	defs := map[string]any{}
	root := schemaOf(reflect.TypeOf(Document{}), defs)
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://github.com/migrate-tool/migrate/report/schema/report-v1.schema.json"
	root["title"] = "migrate report (" + Schema + ")"
	root["description"] = "The JSON form of a migrate assessment or migration report (migrate report --format json). Fields may be added within a schema version; none is removed or changes meaning."
	root["$defs"] = defs
	return root
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf returns the schema of t; named struct types other than
// Document go into defs and are referenced.
func schemaOf(t reflect.Type, defs map[string]any) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeOf(Kind("")):
		return map[string]any{"type": "string", "enum": []string{string(KindAssessment), string(KindMigration)}}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), defs)}
	case reflect.Pointer:
		return schemaOf(t.Elem(), defs)
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			s := schemaOf(f.Type, defs)
			if d := f.Tag.Get("desc"); d != "" {
				s = withDescription(s, d)
			}
			props[name] = s
			if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
				required = append(required, name)
			}
		}
		obj := map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
		if t == reflect.TypeOf(Document{}) {
			return obj
		}
		defs[t.Name()] = obj
		return map[string]any{"$ref": "#/$defs/" + t.Name()}
	}
	return map[string]any{}
}

// withDescription adds a description; a $ref is wrapped so that the
// description stays next to it.
func withDescription(s map[string]any, d string) map[string]any {
	out := map[string]any{"description": d}
	for k, v := range s {
		out[k] = v
	}
	return out
}
