package odata

import "strings"

// Select keeps only the selected properties of view (plus id and the
// @odata annotations); a property typeName has (known) but view lacks is
// left out, an unknown one is refused. An empty sel keeps view as is.
// https://learn.microsoft.com/graph/query-parameters#select-parameter
func Select(view map[string]any, sel []string, known map[string]bool, typeName string) (map[string]any, *Problem) {
	if len(sel) == 0 {
		return view, nil
	}
	out := map[string]any{}
	for k, v := range view {
		if strings.HasPrefix(k, "@odata.") || k == "id" {
			out[k] = v
		}
	}
	for _, s := range sel {
		found := false
		for k, v := range view {
			if strings.EqualFold(k, s) {
				out[k] = v
				found = true
			}
		}
		if !found {
			ok := false
			for k := range known {
				if strings.EqualFold(k, s) {
					ok = true
				}
			}
			if !ok {
				return nil, BadRequest("RequestBroker--ParseUri", "Could not find a property named '%s' on type 'microsoft.graph.%s'.", s, typeName)
			}
		}
	}
	return out, nil
}
