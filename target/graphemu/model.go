package graphemu

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/target/graphemu/odata"
)

// Well-known MAPI properties the emulator derives message state from.
// https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxprops
const (
	propMessageFlags     = "Integer 0xe07"    // PidTagMessageFlags
	propDeliveryTime     = "SystemTime 0xe06" // PidTagMessageDeliveryTime
	propClientSubmitTime = "SystemTime 0x39"  // PidTagClientSubmitTime
	msgFlagRead          = 0x1                // MSGFLAG_READ
	msgFlagUnsent        = 0x8                // MSGFLAG_UNSENT: a draft
)

// decodeExtProps reads singleValueExtendedProperties / multiValueExtendedProperties.
func decodeExtProps(raw map[string]json.RawMessage) ([]ExtProp, []MultiExtProp, *odata.Problem) {
	var single []ExtProp
	var multi []MultiExtProp
	if b, ok := raw["singleValueExtendedProperties"]; ok && string(b) != "null" {
		var in []struct {
			ID    string          `json:"id"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(b, &in); err != nil {
			return nil, nil, odata.BadRequest("RequestBodyRead", "Cannot read singleValueExtendedProperties: %v", err)
		}
		for _, p := range in {
			id, err := odata.ParseExtendedPropertyID(p.ID, false)
			if err != nil {
				return nil, nil, odata.BadRequest("ErrorInvalidProperty", "%v", err)
			}
			var v string
			if err := json.Unmarshal(p.Value, &v); err != nil {
				return nil, nil, odata.BadRequest("RequestBodyRead", "The value of extended property '%s' must be a string.", p.ID)
			}
			if err := checkExtValue(id, v); err != nil {
				return nil, nil, err
			}
			single = setExt(single, id, v)
		}
	}
	if b, ok := raw["multiValueExtendedProperties"]; ok && string(b) != "null" {
		var in []MultiExtProp
		if err := json.Unmarshal(b, &in); err != nil {
			return nil, nil, odata.BadRequest("RequestBodyRead", "Cannot read multiValueExtendedProperties: %v", err)
		}
		for _, p := range in {
			id, err := odata.ParseExtendedPropertyID(p.ID, true)
			if err != nil {
				return nil, nil, odata.BadRequest("ErrorInvalidProperty", "%v", err)
			}
			multi = setMulti(multi, id, p.Value)
		}
	}
	return single, multi, nil
}

// checkExtValue validates values of typed properties the emulator reads.
func checkExtValue(id, v string) *odata.Problem {
	switch {
	case strings.HasPrefix(id, "Integer "), strings.HasPrefix(id, "Short "), strings.HasPrefix(id, "Long "):
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
			return odata.BadRequest("ErrorInvalidExtendedPropertyValue", "The value '%s' of extended property '%s' is not an integer.", v, id)
		}
	case strings.HasPrefix(id, "SystemTime "):
		if _, ok := odata.ToTime(v); !ok {
			return odata.BadRequest("ErrorInvalidExtendedPropertyValue", "The value '%s' of extended property '%s' is not a date and time.", v, id)
		}
	case strings.HasPrefix(id, "Boolean "):
		if _, err := strconv.ParseBool(v); err != nil {
			return odata.BadRequest("ErrorInvalidExtendedPropertyValue", "The value '%s' of extended property '%s' is not a Boolean.", v, id)
		}
	}
	return nil
}

func setExt(list []ExtProp, id, v string) []ExtProp {
	for i := range list {
		if list[i].ID == id {
			list[i].Value = v
			return list
		}
	}
	return append(list, ExtProp{ID: id, Value: v})
}

func setMulti(list []MultiExtProp, id string, v []string) []MultiExtProp {
	for i := range list {
		if list[i].ID == id {
			list[i].Value = v
			return list
		}
	}
	return append(list, MultiExtProp{ID: id, Value: v})
}

func getExt(list []ExtProp, id string) (string, bool) {
	for _, p := range list {
		if p.ID == id {
			return p.Value, true
		}
	}
	return "", false
}

// graphTime formats t as Graph does for message dates.
func graphTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

var (
	tagRE   = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// bodyPreview is the first 255 characters of the body as text.
func bodyPreview(contentType, content string) string {
	if strings.EqualFold(contentType, "html") {
		content = html.UnescapeString(tagRE.ReplaceAllString(content, " "))
	}
	content = strings.TrimSpace(spaceRE.ReplaceAllString(content, " "))
	r := []rune(content)
	if len(r) > 255 {
		r = r[:255]
	}
	return string(r)
}

// rawString decodes a JSON string property ("" when absent or not a string).
func rawString(m map[string]json.RawMessage, k string) string {
	var s string
	if b, ok := m[k]; ok {
		_ = json.Unmarshal(b, &s)
	}
	return s
}

func mustRaw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// decodeView turns props into a generic JSON object for filtering/select.
func rawToAny(b json.RawMessage) any {
	var v any
	_ = json.Unmarshal(b, &v)
	return v
}

// readKnownObject reads a JSON object request body and refuses properties
// the resource type typeName does not have, as checkKnownProps does, and
// what its nested objects do not have or cannot hold (checkNestedProps).
func readKnownObject(rq *req, known map[string]bool, typeName string) (map[string]json.RawMessage, *odata.Problem) {
	raw, err := readJSONObject(rq)
	if err != nil {
		return nil, err
	}
	if err := checkKnownProps(raw, known, typeName); err != nil {
		return nil, err
	}
	if err := checkNestedProps(raw, typeName); err != nil {
		return nil, err
	}
	return raw, nil
}

// readPropsObject is readKnownObject followed by decodeExtProps: the
// body's properties and its extended properties.
func readPropsObject(rq *req, known map[string]bool, typeName string) (map[string]json.RawMessage, []ExtProp, []MultiExtProp, *odata.Problem) {
	raw, err := readKnownObject(rq, known, typeName)
	if err != nil {
		return nil, nil, nil, err
	}
	single, multi, err := decodeExtProps(raw)
	if err != nil {
		return nil, nil, nil, err
	}
	return raw, single, multi, nil
}

// checkKnownProps rejects properties the resource type does not define,
// as Graph's OData deserializer does.
//
// Property names match case-insensitively (the documented samples spell
// the same parameter AttachmentItem and attachmentItem); a differently
// cased name is renamed to the documented spelling.
func checkKnownProps(raw map[string]json.RawMessage, known map[string]bool, typeName string) *odata.Problem {
	for k, v := range raw {
		if strings.HasPrefix(k, "@odata.") || strings.Contains(k, "@") || known[k] {
			continue
		}
		for kk := range known {
			if strings.EqualFold(k, kk) {
				delete(raw, k)
				raw[kk] = v
				k = kk
				break
			}
		}
		if !known[k] {
			return odata.BadRequest("RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.%s'. Make sure to only use property names that are defined by the type or mark the type as open type.", k, typeName)
		}
	}
	return nil
}

func setOf(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Properties of the resource types, from the v1.0 resource pages:
// https://learn.microsoft.com/graph/api/resources/message
// https://learn.microsoft.com/graph/api/resources/mailfolder
// https://learn.microsoft.com/graph/api/resources/contact
// https://learn.microsoft.com/graph/api/resources/contactfolder
// https://learn.microsoft.com/graph/api/resources/event
// https://learn.microsoft.com/graph/api/resources/calendar
var (
	messageProps = setOf("id", "bccRecipients", "body", "bodyPreview", "categories", "ccRecipients", "changeKey", "conversationId",
		"conversationIndex", "createdDateTime", "flag", "from", "hasAttachments", "importance", "inferenceClassification",
		"internetMessageHeaders", "internetMessageId", "isDeliveryReceiptRequested", "isDraft", "isRead", "isReadReceiptRequested",
		"lastModifiedDateTime", "parentFolderId", "receivedDateTime", "replyTo", "sender", "sentDateTime", "subject", "toRecipients",
		"uniqueBody", "webLink", "attachments", "extensions", "multiValueExtendedProperties", "singleValueExtendedProperties")
	mailFolderProps = setOf("id", "childFolderCount", "displayName", "isHidden", "parentFolderId", "totalItemCount", "unreadItemCount",
		"childFolders", "messageRules", "messages", "multiValueExtendedProperties", "singleValueExtendedProperties")
	contactProps = setOf("id", "assistantName", "birthday", "businessAddress", "businessHomePage", "businessPhones", "categories",
		"changeKey", "children", "companyName", "createdDateTime", "department", "displayName", "emailAddresses", "fileAs",
		"generation", "givenName", "homeAddress", "homePhones", "imAddresses", "initials", "jobTitle", "lastModifiedDateTime",
		"manager", "middleName", "mobilePhone", "nickName", "officeLocation", "otherAddress", "parentFolderId", "personalNotes",
		"profession", "spouseName", "surname", "title", "yomiCompanyName", "yomiGivenName", "yomiSurname", "photo", "extensions",
		"multiValueExtendedProperties", "singleValueExtendedProperties")
	contactFolderProps = setOf("id", "displayName", "parentFolderId", "childFolders", "contacts", "multiValueExtendedProperties", "singleValueExtendedProperties")
	eventProps         = setOf("id", "allowNewTimeProposals", "attendees", "body", "bodyPreview", "categories", "changeKey", "createdDateTime",
		"end", "hasAttachments", "hideAttendees", "iCalUId", "importance", "isAllDay", "isCancelled", "isDraft", "isOnlineMeeting",
		"isOrganizer", "isReminderOn", "lastModifiedDateTime", "location", "locations", "onlineMeeting", "onlineMeetingProvider",
		"onlineMeetingUrl", "organizer", "originalEndTimeZone", "originalStart", "originalStartTimeZone", "recurrence",
		"reminderMinutesBeforeStart", "responseRequested", "responseStatus", "sensitivity", "seriesMasterId", "showAs", "start",
		"subject", "transactionId", "type", "webLink", "attachments", "calendar", "extensions", "instances",
		"multiValueExtendedProperties", "singleValueExtendedProperties")
	calendarProps = setOf("id", "allowedOnlineMeetingProviders", "canEdit", "canShare", "canViewPrivateItems", "changeKey", "color",
		"defaultOnlineMeetingProvider", "hexColor", "isDefaultCalendar", "isRemovable", "isTallyingResponses", "name", "owner",
		"calendarView", "events", "multiValueExtendedProperties", "singleValueExtendedProperties")
	attachmentProps = setOf("id", "contentType", "isInline", "lastModifiedDateTime", "name", "size", "contentBytes", "contentId", "contentLocation")
)

// preferredBodyType reads Prefer: outlook.body-content-type; GET returns
// message and event bodies as HTML without it.
// https://learn.microsoft.com/graph/api/user-list-messages ("If the header
// is not specified, the body and uniqueBody properties are returned in
// HTML format") and https://learn.microsoft.com/graph/api/message-get.
func preferredBodyType(r *http.Request) string {
	for _, p := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(p, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "outlook.body-content-type") {
				if strings.EqualFold(strings.Trim(strings.TrimSpace(v), `"`), "text") {
					return "text"
				}
			}
		}
	}
	return "html"
}

// convertBodies converts body and uniqueBody of a view to want.
func convertBodies(v map[string]any, want string) {
	for _, k := range []string{"body", "uniqueBody"} {
		b, ok := v[k].(map[string]any)
		if !ok {
			continue
		}
		ct, _ := b["contentType"].(string)
		content, _ := b["content"].(string)
		if strings.EqualFold(ct, want) {
			continue
		}
		nb := map[string]any{"contentType": want}
		if want == "html" {
			nb["content"] = textToHTML(content)
		} else {
			nb["content"] = htmlToText(content)
		}
		v[k] = nb
	}
}

func textToHTML(s string) string {
	esc := strings.ReplaceAll(html.EscapeString(s), "\r\n", "\n")
	esc = strings.ReplaceAll(esc, "\n", "<br>\r\n")
	return "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n</head>\r\n<body>\r\n<div>" + esc + "</div>\r\n</body>\r\n</html>\r\n"
}

var brRE = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>`)

func htmlToText(s string) string {
	s = brRE.ReplaceAllString(s, "\r\n")
	s = html.UnescapeString(tagRE.ReplaceAllString(s, ""))
	return strings.TrimSpace(s)
}
