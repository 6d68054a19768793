package graphemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// The complex types, enumerations and derived types that request bodies
// nest, from the v1.0 resource pages, so that unknown properties, values
// of the wrong JSON kind and invalid enumeration members are refused at
// any depth, as Graph's OData reader refuses them at the top level (400
// RequestBodyRead, "The property '...' does not exist on type ...").
//
// Property names match case-insensitively and are rewritten to the
// documented spelling, as at the top level (see checkKnownProps);
// enumeration members match case-insensitively (the emulator's tests and
// Microsoft's samples write "HTML" and "html" alike) and are stored as
// documented.

// valueKind is what a property holds.
type valueKind int

const (
	vString         valueKind = iota + 1 // Edm.String
	vBool                                // Edm.Boolean
	vInt                                 // Edm.Int32 / Edm.Int64
	vBinary                              // Edm.Binary: a base64 string, decoded by its user
	vDateTimeOffset                      // Edm.DateTimeOffset: an ISO 8601 string
	vEnum                                // an enumeration member, as a string
	vComplex                             // a complex (or derived entity) type, as an object
	vOpen                                // a navigation or type the emulator does not model: any JSON
)

// propType is the type of one property.
type propType struct {
	kind    valueKind
	coll    bool // a collection (JSON array) of kind
	enum    *enumType
	complex *complexType
}

// enumType is an enumeration: its name and members.
type enumType struct {
	name    string
	members []string
}

// complexType is a complex type (or an entity type nested in a request
// body, such as an attachment): its properties, the types derived from it
// that @odata.type may name, and a check for what the property list alone
// does not say.
type complexType struct {
	name    string
	props   map[string]propType
	derived []*complexType
	check   func(path string, obj map[string]json.RawMessage) *odata.Problem
}

func pString() propType            { return propType{kind: vString} }
func pBool() propType              { return propType{kind: vBool} }
func pInt() propType               { return propType{kind: vInt} }
func pBinary() propType            { return propType{kind: vBinary} }
func pTime() propType              { return propType{kind: vDateTimeOffset} }
func pOpen() propType              { return propType{kind: vOpen} }
func pEnum(e *enumType) propType   { return propType{kind: vEnum, enum: e} }
func pObj(c *complexType) propType { return propType{kind: vComplex, complex: c} }
func pColl(p propType) propType    { p.coll = true; return p }
func propsOf(kv ...any) map[string]propType {
	m := make(map[string]propType, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(propType)
	}
	return m
}

var (
	// https://learn.microsoft.com/graph/api/resources/emailaddress
	emailAddressSchema = &complexType{name: "emailAddress", props: propsOf("address", pString(), "name", pString())}
	// https://learn.microsoft.com/graph/api/resources/recipient
	recipientSchema = &complexType{name: "recipient", props: propsOf("emailAddress", pObj(emailAddressSchema))}
	// https://learn.microsoft.com/graph/api/resources/itembody: contentType
	// is a bodyType, "text" or "html".
	bodyTypeEnum   = &enumType{name: "bodyType", members: []string{"text", "html"}}
	itemBodySchema = &complexType{name: "itemBody", props: propsOf("content", pString(), "contentType", pEnum(bodyTypeEnum))}
	// https://learn.microsoft.com/graph/api/resources/datetimetimezone
	dateTimeTimeZoneSchema = &complexType{name: "dateTimeTimeZone", props: propsOf("dateTime", pString(), "timeZone", pString())}
	// https://learn.microsoft.com/graph/api/resources/followupflag: flagStatus
	// is a followupFlagStatus (notFlagged, complete, flagged); "To set the
	// due date, you must also specify the startDateTime; otherwise, you get
	// a 400 Bad Request response."
	followupFlagStatusEnum = &enumType{name: "followupFlagStatus", members: []string{"notFlagged", "complete", "flagged"}}
	followupFlagSchema     = &complexType{name: "followupFlag",
		props: propsOf("completedDateTime", pObj(dateTimeTimeZoneSchema), "dueDateTime", pObj(dateTimeTimeZoneSchema),
			"flagStatus", pEnum(followupFlagStatusEnum), "startDateTime", pObj(dateTimeTimeZoneSchema)),
		check: func(path string, o map[string]json.RawMessage) *odata.Problem {
			if present(o, "dueDateTime") && !present(o, "startDateTime") {
				return odata.BadRequest("ErrorInvalidArgument", "%s: to set dueDateTime, startDateTime must be set too.", path)
			}
			return nil
		}}
	// https://learn.microsoft.com/graph/api/resources/importance,
	// https://learn.microsoft.com/graph/api/resources/message
	// (importance: "The possible values are: low, normal, and high";
	// inferenceClassification: "The possible values are: focused, other").
	importanceEnum              = &enumType{name: "importance", members: []string{"low", "normal", "high"}}
	inferenceClassificationEnum = &enumType{name: "inferenceClassificationType", members: []string{"focused", "other"}}
	// https://learn.microsoft.com/graph/api/resources/internetmessageheader
	internetMessageHeaderSchema = &complexType{name: "internetMessageHeader", props: propsOf("name", pString(), "value", pString())}
	// https://learn.microsoft.com/graph/api/resources/singlevaluelegacyextendedproperty,
	// https://learn.microsoft.com/graph/api/resources/multivaluelegacyextendedproperty
	singleValueExtPropSchema = &complexType{name: "singleValueLegacyExtendedProperty", props: propsOf("id", pString(), "value", pString())}
	multiValueExtPropSchema  = &complexType{name: "multiValueLegacyExtendedProperty", props: propsOf("id", pString(), "value", pColl(pString()))}

	// Attachments: the abstract attachment and its three derived types,
	// named by @odata.type.
	// https://learn.microsoft.com/graph/api/resources/attachment,
	// https://learn.microsoft.com/graph/api/resources/fileattachment,
	// https://learn.microsoft.com/graph/api/resources/itemattachment,
	// https://learn.microsoft.com/graph/api/resources/referenceattachment.
	attachmentBaseProps = []any{"contentType", pString(), "id", pString(), "isInline", pBool(), "lastModifiedDateTime", pTime(),
		"name", pString(), "size", pInt()}
	fileAttachmentSchema = &complexType{name: "fileAttachment",
		props: propsOf(append(slices.Clone(attachmentBaseProps), "contentBytes", pBinary(), "contentId", pString(), "contentLocation", pString())...)}
	// item is an outlookItem (message, event, contact): not modelled, as
	// the emulator refuses item attachments.
	itemAttachmentSchema      = &complexType{name: "itemAttachment", props: propsOf(append(slices.Clone(attachmentBaseProps), "item", pOpen())...)}
	referenceAttachmentSchema = &complexType{name: "referenceAttachment", props: propsOf(attachmentBaseProps...)}
	attachmentSchema          = &complexType{name: "attachment", props: propsOf(attachmentBaseProps...),
		derived: []*complexType{fileAttachmentSchema, itemAttachmentSchema, referenceAttachmentSchema}}

	// https://learn.microsoft.com/graph/api/resources/attachmentitem: the
	// AttachmentItem parameter of createUploadSession; attachmentType is
	// one of file, item, reference ("Required"), as are name and size.
	attachmentTypeEnum   = &enumType{name: "attachmentType", members: []string{"file", "item", "reference"}}
	attachmentItemSchema = &complexType{name: "attachmentItem",
		props: propsOf("attachmentType", pEnum(attachmentTypeEnum), "contentId", pString(), "contentType", pString(), "isInline", pBool(),
			"name", pString(), "size", pInt())}
)

// extPropTypes are the extended property collections every item and
// folder type has.
var extPropTypes = map[string]propType{
	"singleValueExtendedProperties": pColl(pObj(singleValueExtPropSchema)),
	"multiValueExtendedProperties":  pColl(pObj(multiValueExtPropSchema)),
}

// nestedTypes are the typed properties of each resource type whose
// request bodies the emulator reads (the others are stored as given).
// https://learn.microsoft.com/graph/api/resources/message,
// https://learn.microsoft.com/graph/api/resources/event.
var nestedTypes = map[string]map[string]propType{
	"message": withExt(propsOf(
		"bccRecipients", pColl(pObj(recipientSchema)), "ccRecipients", pColl(pObj(recipientSchema)),
		"toRecipients", pColl(pObj(recipientSchema)), "replyTo", pColl(pObj(recipientSchema)),
		"from", pObj(recipientSchema), "sender", pObj(recipientSchema),
		"body", pObj(itemBodySchema), "uniqueBody", pObj(itemBodySchema),
		"flag", pObj(followupFlagSchema),
		"importance", pEnum(importanceEnum), "inferenceClassification", pEnum(inferenceClassificationEnum),
		"internetMessageHeaders", pColl(pObj(internetMessageHeaderSchema)),
		"attachments", pColl(pObj(attachmentSchema)),
		"categories", pColl(pString()),
		"subject", pString(), "internetMessageId", pString(),
		"isRead", pBool(), "isDraft", pBool(), "isReadReceiptRequested", pBool(), "isDeliveryReceiptRequested", pBool(),
	)),
	"event": withExt(propsOf(
		"body", pObj(itemBodySchema),
		"attachments", pColl(pObj(attachmentSchema)),
		"categories", pColl(pString()),
		"importance", pEnum(importanceEnum),
	)),
	"contact":       withExt(propsOf("categories", pColl(pString()))),
	"mailFolder":    withExt(propsOf()),
	"contactFolder": withExt(propsOf()),
	"calendar":      withExt(propsOf()),
}

func withExt(m map[string]propType) map[string]propType {
	for k, v := range extPropTypes {
		m[k] = v
	}
	return m
}

// present tells whether obj has property k with a value other than null.
func present(o map[string]json.RawMessage, k string) bool {
	v, ok := o[k]
	return ok && !isNull(v)
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// checkNestedProps validates the typed properties of a request body of
// resource type typeName (the top-level names already checked by
// checkKnownProps) and rewrites them in raw to their documented spelling.
func checkNestedProps(raw map[string]json.RawMessage, typeName string) *odata.Problem {
	types := nestedTypes[typeName]
	for k, v := range raw {
		pt, ok := types[k]
		if !ok {
			continue
		}
		nv, err := checkValue(v, pt, k)
		if err != nil {
			return err
		}
		raw[k] = nv
	}
	return nil
}

// checkObject validates a request body that is one object of type ct (the
// body of POST .../attachments) and returns it with the documented
// property names.
func checkObject(raw map[string]json.RawMessage, ct *complexType) (map[string]json.RawMessage, *odata.Problem) {
	b, _ := json.Marshal(raw)
	nv, err := checkValue(b, pObj(ct), ct.name)
	if err != nil {
		return nil, err
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(nv, &out); err != nil {
		return nil, odata.BadRequest("RequestBodyRead", "Cannot read the %s: %v", ct.name, err)
	}
	return out, nil
}

func wrongKind(path string, want string) *odata.Problem {
	return odata.BadRequest("RequestBodyRead", "The value of property '%s' is not a valid %s.", path, want)
}

// checkValue validates v as a value of pt at path and returns it
// normalized (documented property names and enumeration members).
func checkValue(v json.RawMessage, pt propType, path string) (json.RawMessage, *odata.Problem) {
	if isNull(v) || pt.kind == vOpen {
		return v, nil
	}
	if pt.coll {
		var elems []json.RawMessage
		if err := json.Unmarshal(v, &elems); err != nil {
			return nil, wrongKind(path, "collection")
		}
		changed := false
		el := pt
		el.coll = false
		for i, e := range elems {
			ne, err := checkValue(e, el, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			if !bytes.Equal(ne, e) {
				elems[i], changed = ne, true
			}
		}
		if !changed {
			return v, nil
		}
		return mustRaw(elems), nil
	}
	trimmed := bytes.TrimSpace(v)
	switch pt.kind {
	case vString, vBinary, vDateTimeOffset:
		var s string
		if json.Unmarshal(trimmed, &s) != nil {
			return nil, wrongKind(path, map[valueKind]string{vString: "Edm.String", vBinary: "Edm.Binary", vDateTimeOffset: "Edm.DateTimeOffset"}[pt.kind])
		}
		if pt.kind == vDateTimeOffset {
			if _, ok := odata.ToTime(s); !ok {
				return nil, wrongKind(path, "Edm.DateTimeOffset")
			}
		}
		return v, nil
	case vBool:
		var b bool
		if json.Unmarshal(trimmed, &b) != nil {
			return nil, wrongKind(path, "Edm.Boolean")
		}
		return v, nil
	case vInt:
		var n int64
		if json.Unmarshal(trimmed, &n) != nil {
			return nil, wrongKind(path, "Edm.Int64")
		}
		return v, nil
	case vEnum:
		var s string
		if json.Unmarshal(trimmed, &s) != nil {
			return nil, wrongKind(path, "microsoft.graph."+pt.enum.name)
		}
		for _, m := range pt.enum.members {
			if strings.EqualFold(s, m) {
				if s == m {
					return v, nil
				}
				return mustRaw(m), nil
			}
		}
		return nil, odata.BadRequest("RequestBodyRead", "Cannot convert the literal '%s' to the expected type 'microsoft.graph.%s' (property '%s'; the members are %s).",
			s, pt.enum.name, path, strings.Join(pt.enum.members, ", "))
	case vComplex:
		return checkComplex(trimmed, pt.complex, path)
	}
	return v, nil
}

// checkComplex validates an object of type ct, or of the derived type its
// @odata.type names.
func checkComplex(v json.RawMessage, ct *complexType, path string) (json.RawMessage, *odata.Problem) {
	var o map[string]json.RawMessage
	if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &o) != nil {
		return nil, wrongKind(path, "microsoft.graph."+ct.name)
	}
	if t, ok := o["@odata.type"]; ok {
		var name string
		_ = json.Unmarshal(t, &name)
		resolved := resolveType(ct, name)
		if resolved == nil {
			return nil, odata.BadRequest("RequestBodyRead", "A type named '%s' could not be resolved by the model (property '%s' takes 'microsoft.graph.%s').", name, path, ct.name)
		}
		ct = resolved
	}
	changed := false
	for k, pv := range o {
		if strings.HasPrefix(k, "@") || strings.Contains(k, "@") {
			continue
		}
		name := k
		pt, ok := ct.props[k]
		if !ok {
			for kk, t := range ct.props {
				if strings.EqualFold(k, kk) {
					name, pt, ok = kk, t, true
					break
				}
			}
		}
		if !ok {
			return nil, odata.BadRequest("RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.%s'. Make sure to only use property names that are defined by the type or mark the type as open type.", k, ct.name)
		}
		nv, err := checkValue(pv, pt, path+"."+name)
		if err != nil {
			return nil, err
		}
		if name != k {
			delete(o, k)
			changed = true
		}
		if !bytes.Equal(nv, pv) {
			changed = true
		}
		o[name] = nv
	}
	if ct.check != nil {
		if err := ct.check(path, o); err != nil {
			return nil, err
		}
	}
	if !changed {
		return v, nil
	}
	return mustRaw(o), nil
}

// resolveType returns the type an @odata.type value names: ct itself or
// one of the types derived from it; nil for any other.
func resolveType(ct *complexType, odataType string) *complexType {
	n := strings.TrimPrefix(strings.TrimPrefix(odataType, "#"), "microsoft.graph.")
	if strings.EqualFold(n, ct.name) {
		return ct
	}
	for _, d := range ct.derived {
		if strings.EqualFold(n, d.name) {
			return d
		}
	}
	return nil
}
