package message

import (
	"strings"
)

// envelope fills the message fields that come from the top-level header.
func (p *parser) envelope(h *header) {
	m := p.m
	if h.empty {
		return
	}
	var pr string
	m.Subject, pr = headerString(h.get("Subject"))
	if pr != "" {
		p.problem("", "Subject: %s", pr)
	}
	m.RawHeader = h.rawText()

	addrs := func(name string) []Address {
		vs := h.all(name)
		if len(vs) == 0 {
			return nil
		}
		list, pr := parseAddressList(strings.Join(vs, ", "))
		if pr != "" {
			p.problem("", "%s: %s", name, pr)
		}
		return list
	}
	one := func(name string) *Address {
		list := addrs(name)
		if len(list) == 0 {
			return nil
		}
		return &list[0]
	}
	m.From = one("From")
	if m.From == nil {
		p.problem("", "no From address")
	}
	m.Sender = one("Sender")
	m.To = addrs("To")
	m.Cc = addrs("Cc")
	m.Bcc = addrs("Bcc")
	m.ReplyTo = addrs("Reply-To")

	if v := h.get("Date"); v == "" {
		p.problem("", "no Date header")
	} else if t, note, ok := parseDate(v); !ok {
		p.problem("", "unreadable Date %q left empty", clip(v))
	} else {
		m.Date = t
		if note != "" {
			p.problem("", "Date %q: %s", clip(v), note)
		}
	}

	m.Received, _ = ReceivedDate(h.all("Received"))

	if ids := msgIDs(h.get("Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	} else {
		p.problem("", "no Message-ID")
	}
	if ids := msgIDs(h.get("In-Reply-To")); len(ids) > 0 {
		m.InReplyTo = ids[0]
	}
	m.References = msgIDs(strings.Join(h.all("References"), " "))
	m.Importance = importance(h)
	m.ReadReceiptRequested = h.has("Disposition-Notification-To") || h.has("Return-Receipt-To") || h.has("X-Confirm-Reading-To")
}

// msgIDs returns the message IDs in a Message-ID, In-Reply-To or References
// value, each in angle brackets (RFC 5322 section 3.6.4), as Graph's
// internetMessageId holds them. Comments and phrases between IDs are
// dropped; white space inside an ID (left by bad folding) is removed; bare
// IDs without brackets get them.
func msgIDs(v string) []string {
	v = cleanText(v)
	var ids []string
	add := func(id string) {
		id = strings.Join(strings.Fields(id), "")
		id = strings.Trim(id, "<>\"")
		if id != "" {
			ids = append(ids, "<"+id+">")
		}
	}
	if !strings.Contains(v, "<") {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
			if !strings.HasPrefix(f, "(") {
				add(f)
			}
		}
		return ids
	}
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			add(v[i+1:])
			break
		}
		add(v[i+1 : i+j])
		v = v[i+j+1:]
	}
	return ids
}

// importance reads Importance (RFC 2156), X-Priority (1-5, 1 highest),
// Priority (RFC 2156: urgent, normal, non-urgent) and X-MSMail-Priority, the
// first present and readable one winning, as Graph's low, normal or high.
func importance(h *header) string {
	word := func(v string) string {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "high", "urgent":
			return "high"
		case "low", "non-urgent":
			return "low"
		case "normal", "medium":
			return "normal"
		}
		return ""
	}
	if v := word(h.get("Importance")); v != "" {
		return v
	}
	if v := strings.TrimSpace(h.get("X-Priority")); v != "" {
		switch v[0] {
		case '1', '2':
			return "high"
		case '3':
			return "normal"
		case '4', '5':
			return "low"
		}
	}
	if v := word(h.get("Priority")); v != "" {
		return v
	}
	if v := word(h.get("X-Msmail-Priority")); v != "" {
		return v
	}
	return "normal"
}
