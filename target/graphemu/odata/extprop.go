package odata

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// extTypes are the property types of extended property ids, by lower-case
// name. https://learn.microsoft.com/graph/api/resources/extended-properties-overview
// ("id formats": "{type} {proptag}", "{type} {guid} Name {name}",
// "{type} {guid} Id {id}").
var extTypes = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{"Binary", "Boolean", "CLSID", "Currency", "Double", "Float", "Integer", "Long", "Object", "Short", "String", "SystemTime"} {
		m[strings.ToLower(t)] = t
		m[strings.ToLower(t)+"array"] = t + "Array"
	}
	return m
}()

var guidBraceRE = regexp.MustCompile(`^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$`)

// ParseExtendedPropertyID validates the id of a single-value (multi false)
// or multi-value extended property and returns its canonical form: the
// type's documented spelling, the tag in lower-case hex without leading
// zeros, the GUID in lower case within braces, the name as given (names
// are case-sensitive). $filter compares ids in this form.
func ParseExtendedPropertyID(id string, multi bool) (string, error) {
	f := strings.Fields(id)
	if len(f) != 2 && len(f) != 4 {
		return "", fmt.Errorf("extended property id %q is not of the form '{type} {proptag}' or '{type} {guid} Name|Id {name}'", id)
	}
	typ, ok := extTypes[strings.ToLower(f[0])]
	if !ok {
		return "", fmt.Errorf("extended property id %q has an unknown type %q", id, f[0])
	}
	if strings.HasSuffix(typ, "Array") != multi {
		if multi {
			return "", fmt.Errorf("multi-value extended property id %q needs an array type", id)
		}
		return "", fmt.Errorf("single-value extended property id %q has an array type", id)
	}
	if len(f) == 2 {
		tag := strings.ToLower(f[1])
		if !strings.HasPrefix(tag, "0x") {
			return "", fmt.Errorf("extended property id %q: the tag must be hexadecimal (0x...)", id)
		}
		n, err := strconv.ParseUint(tag[2:], 16, 16)
		if err != nil {
			return "", fmt.Errorf("extended property id %q: bad tag", id)
		}
		return fmt.Sprintf("%s 0x%x", typ, n), nil
	}
	g := guidBraceRE.FindStringSubmatch(f[1])
	if g == nil {
		return "", fmt.Errorf("extended property id %q: bad GUID", id)
	}
	switch strings.ToLower(f[2]) {
	case "name":
		return fmt.Sprintf("%s {%s} Name %s", typ, strings.ToLower(g[1]), f[3]), nil
	case "id":
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(f[3]), "0x"), 16, 32)
		if err != nil {
			return "", fmt.Errorf("extended property id %q: bad numeric id", id)
		}
		return fmt.Sprintf("%s {%s} Id 0x%x", typ, strings.ToLower(g[1]), n), nil
	}
	return "", fmt.Errorf("extended property id %q: want Name or Id after the GUID", id)
}

// canonicalExtID is ParseExtendedPropertyID for comparisons; an invalid id
// stays as is.
func canonicalExtID(id string) string {
	for _, multi := range []bool{false, true} {
		if c, err := ParseExtendedPropertyID(id, multi); err == nil {
			return c
		}
	}
	return id
}
