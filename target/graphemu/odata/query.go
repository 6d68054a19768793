package odata

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Query holds the OData system query options of a request.
// https://learn.microsoft.com/graph/query-parameters
type Query struct {
	// Select lists the $select properties as given.
	Select []string
	// Top is $top; HasTop tells whether it was given.
	Top    int
	HasTop bool
	// Skip is $skip.
	Skip int
	// Count is $count=true.
	Count bool
	// Filter is the parsed $filter; nil keeps everything.
	Filter Expr
	// Expand lists the $expand items.
	Expand []ExpandItem
	// OrderBy lists the $orderby keys, most significant first.
	OrderBy []OrderBy
}

// ExpandItem is one $expand item: a navigation property with an
// optional nested $filter.
type ExpandItem struct {
	Prop   string
	Filter Expr
}

// OrderBy is one $orderby key.
type OrderBy struct {
	Prop string
	Desc bool
}

// queryParam returns the value of $name, also accepted without the "$".
func queryParam(v url.Values, name string) (string, bool) {
	for k, vals := range v {
		kk := strings.TrimPrefix(strings.ToLower(k), "$")
		if kk == name && len(vals) > 0 {
			return vals[0], true
		}
	}
	return "", false
}

// ParseQuery parses the system query options of v; names are accepted
// with or without "$" and in any case. $search is refused.
func ParseQuery(v url.Values) (*Query, *Problem) {
	q := &Query{}
	if s, ok := queryParam(v, "select"); ok && s != "" {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				q.Select = append(q.Select, p)
			}
		}
	}
	if s, ok := queryParam(v, "top"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return nil, BadRequest("BadRequest", "Invalid $top value '%s'.", s)
		}
		q.Top, q.HasTop = n, true
	}
	if s, ok := queryParam(v, "skip"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return nil, BadRequest("BadRequest", "Invalid $skip value '%s'.", s)
		}
		q.Skip = n
	}
	if s, ok := queryParam(v, "count"); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			q.Count = true
		case "false":
		default:
			return nil, BadRequest("BadRequest", "Invalid $count value '%s'.", s)
		}
	}
	if s, ok := queryParam(v, "filter"); ok && strings.TrimSpace(s) != "" {
		e, err := parseFilter(s)
		if err != nil {
			return nil, BadRequest("BadRequest", "Invalid filter clause: %v", err)
		}
		q.Filter = e
	}
	if s, ok := queryParam(v, "expand"); ok && strings.TrimSpace(s) != "" {
		for _, part := range splitTop(s, ',') {
			part = strings.TrimSpace(part)
			name, opts, hasOpts := strings.Cut(part, "(")
			eo := ExpandItem{Prop: strings.TrimSpace(name)}
			if hasOpts {
				opts = strings.TrimSuffix(strings.TrimSpace(opts), ")")
				for _, o := range splitTop(opts, ';') {
					k, val, _ := strings.Cut(o, "=")
					switch strings.TrimPrefix(strings.ToLower(strings.TrimSpace(k)), "$") {
					case "filter":
						e, err := parseFilter(val)
						if err != nil {
							return nil, BadRequest("BadRequest", "Invalid filter clause: %v", err)
						}
						eo.Filter = e
					case "select", "top":
					default:
						return nil, BadRequest("BadRequest", "Query option '%s' is not allowed in $expand.", strings.TrimSpace(k))
					}
				}
			}
			q.Expand = append(q.Expand, eo)
		}
	}
	if s, ok := queryParam(v, "orderby"); ok && strings.TrimSpace(s) != "" {
		for _, part := range strings.Split(s, ",") {
			f := strings.Fields(part)
			if len(f) == 0 || len(f) > 2 {
				return nil, BadRequest("BadRequest", "Invalid $orderby clause '%s'.", s)
			}
			ob := OrderBy{Prop: f[0]}
			if len(f) == 2 {
				switch strings.ToLower(f[1]) {
				case "desc":
					ob.Desc = true
				case "asc":
				default:
					return nil, BadRequest("BadRequest", "Invalid $orderby clause '%s'.", s)
				}
			}
			q.OrderBy = append(q.OrderBy, ob)
		}
	}
	if _, ok := queryParam(v, "search"); ok {
		return nil, BadRequest("BadRequest", "$search is not supported by the emulator.")
	}
	return q, nil
}

// splitTop splits s at sep outside parentheses and quotes.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start, inStr := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			inStr = !inStr
		case inStr:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// --- $filter ---

// Expr is a parsed $filter expression, evaluated against the JSON view
// of a resource (Matches).
type Expr interface {
	eval(env *evalEnv) any
}

type evalEnv struct {
	root any            // the resource as JSON (map[string]any)
	vars map[string]any // lambda variables
	// extColl is true inside a lambda over extended properties, where id
	// comparisons use extended-property id rules.
	extColl map[string]bool
	// extRoot is true when root is itself an extended property (an
	// $expand filter such as singleValueExtendedProperties($filter=id eq '...')).
	extRoot bool
}

type (
	binExpr struct {
		op   string
		l, r Expr
	}
	notExpr  struct{ e Expr }
	litExpr  struct{ v any }
	pathExpr struct{ segs []string }
	callExpr struct {
		fn   string
		args []Expr
	}
	anyExpr struct {
		coll    pathExpr
		all     bool
		varName string
		body    Expr
	}
)

type token struct {
	kind string // ident, str, num, date, punct, eof
	s    string
}

func lexFilter(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',' || c == ':' || c == '/':
			toks = append(toks, token{"punct", string(c)})
			i++
		case c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated string literal")
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			toks = append(toks, token{"str", b.String()})
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && strings.IndexByte("0123456789.-:TZ+eE", s[j]) >= 0 {
				j++
			}
			lit := s[i:j]
			if strings.ContainsAny(lit, "T:") || strings.Count(lit, "-") >= 2 {
				toks = append(toks, token{"date", lit})
			} else {
				toks = append(toks, token{"num", lit})
			}
			i = j
		case unicode.IsLetter(rune(c)) || c == '_' || c == '@' || c == '$':
			j := i + 1
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_' || s[j] == '.' || s[j] == '@') {
				j++
			}
			toks = append(toks, token{"ident", s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return append(toks, token{kind: "eof"}), nil
}

type filterParser struct {
	toks []token
	pos  int
	vars map[string]bool
}

func parseFilter(s string) (Expr, error) {
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks, vars: map[string]bool{}}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != "eof" {
		return nil, fmt.Errorf("unexpected %q", p.peek().s)
	}
	return e, nil
}

func (p *filterParser) peek() token { return p.toks[p.pos] }
func (p *filterParser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *filterParser) isKeyword(w string) bool {
	t := p.peek()
	return t.kind == "ident" && strings.EqualFold(t.s, w)
}

func (p *filterParser) expectPunct(s string) error {
	if t := p.next(); t.kind != "punct" || t.s != s {
		return fmt.Errorf("expected %q, found %q", s, t.s)
	}
	return nil
}

func (p *filterParser) parseOr() (Expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &binExpr{"or", l, r}
	}
	return l, nil
}

func (p *filterParser) parseAnd() (Expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &binExpr{"and", l, r}
	}
	return l, nil
}

func (p *filterParser) parseUnary() (Expr, error) {
	if p.isKeyword("not") {
		p.next()
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &notExpr{e}, nil
	}
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == "ident" {
		switch op := strings.ToLower(t.s); op {
		case "eq", "ne", "gt", "ge", "lt", "le":
			p.next()
			r, err := p.parseOperand()
			if err != nil {
				return nil, err
			}
			return &binExpr{op, l, r}, nil
		}
	}
	return l, nil
}

func (p *filterParser) parseOperand() (Expr, error) {
	t := p.next()
	switch t.kind {
	case "punct":
		if t.s == "(" {
			e, err := p.parseOr()
			if err != nil {
				return nil, err
			}
			return e, p.expectPunct(")")
		}
		return nil, fmt.Errorf("unexpected %q", t.s)
	case "str":
		return &litExpr{t.s}, nil
	case "num":
		f, err := strconv.ParseFloat(t.s, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", t.s)
		}
		return &litExpr{f}, nil
	case "date":
		ts, err := time.Parse(time.RFC3339Nano, t.s)
		if err != nil {
			if ts, err = time.Parse("2006-01-02", t.s); err != nil {
				return nil, fmt.Errorf("bad date %q", t.s)
			}
		}
		return &litExpr{ts}, nil
	case "ident":
		switch strings.ToLower(t.s) {
		case "true":
			return &litExpr{true}, nil
		case "false":
			return &litExpr{false}, nil
		case "null":
			return &litExpr{nil}, nil
		}
		if p.peek().kind == "punct" && p.peek().s == "(" {
			p.next()
			fn := strings.ToLower(t.s)
			var args []Expr
			for !(p.peek().kind == "punct" && p.peek().s == ")") {
				a, err := p.parseOr()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if p.peek().kind == "punct" && p.peek().s == "," {
					p.next()
				}
			}
			p.next()
			switch fn {
			case "startswith", "endswith", "contains":
				if len(args) != 2 {
					return nil, fmt.Errorf("%s takes two arguments", fn)
				}
			case "tolower", "toupper":
				if len(args) != 1 {
					return nil, fmt.Errorf("%s takes one argument", fn)
				}
			default:
				return nil, fmt.Errorf("unknown function %q", t.s)
			}
			return &callExpr{fn, args}, nil
		}
		segs := []string{t.s}
		for p.peek().kind == "punct" && p.peek().s == "/" {
			p.next()
			n := p.next()
			if n.kind != "ident" {
				return nil, fmt.Errorf("bad property path")
			}
			low := strings.ToLower(n.s)
			if (low == "any" || low == "all") && p.peek().kind == "punct" && p.peek().s == "(" {
				p.next()
				v := p.next()
				if v.kind != "ident" {
					return nil, fmt.Errorf("expected lambda variable")
				}
				if err := p.expectPunct(":"); err != nil {
					return nil, err
				}
				p.vars[v.s] = true
				body, err := p.parseOr()
				if err != nil {
					return nil, err
				}
				if err := p.expectPunct(")"); err != nil {
					return nil, err
				}
				return &anyExpr{coll: pathExpr{segs}, all: low == "all", varName: v.s, body: body}, nil
			}
			segs = append(segs, n.s)
		}
		return &pathExpr{segs}, nil
	}
	return nil, fmt.Errorf("unexpected end of filter")
}

func (e *litExpr) eval(*evalEnv) any { return e.v }

func (e *pathExpr) eval(env *evalEnv) any {
	var cur any
	segs := e.segs
	if v, ok := env.vars[segs[0]]; ok {
		cur = v
		segs = segs[1:]
	} else {
		cur = env.root
	}
	for _, s := range segs {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = lookupFold(m, s)
	}
	return cur
}

func lookupFold(m map[string]any, k string) any {
	if v, ok := m[k]; ok {
		return v
	}
	for kk, v := range m {
		if strings.EqualFold(kk, k) {
			return v
		}
	}
	return nil
}

func (e *notExpr) eval(env *evalEnv) any { return !truthy(e.e.eval(env)) }

func truthy(v any) bool { b, _ := v.(bool); return b }

func (e *anyExpr) eval(env *evalEnv) any {
	coll, _ := e.coll.eval(env).([]any)
	isExt := false
	if n := len(e.coll.segs); n > 0 {
		last := strings.ToLower(e.coll.segs[n-1])
		isExt = last == "singlevalueextendedproperties" || last == "multivalueextendedproperties"
	}
	saved, had := env.vars[e.varName]
	defer func() {
		if had {
			env.vars[e.varName] = saved
		} else {
			delete(env.vars, e.varName)
		}
		delete(env.extColl, e.varName)
	}()
	if isExt {
		env.extColl[e.varName] = true
	}
	for _, el := range coll {
		env.vars[e.varName] = el
		ok := truthy(e.body.eval(env))
		if e.all && !ok {
			return false
		}
		if !e.all && ok {
			return true
		}
	}
	return e.all
}

func (e *callExpr) eval(env *evalEnv) any {
	switch e.fn {
	case "tolower", "toupper":
		s, _ := e.args[0].eval(env).(string)
		if e.fn == "tolower" {
			return strings.ToLower(s)
		}
		return strings.ToUpper(s)
	}
	a, _ := e.args[0].eval(env).(string)
	b, _ := e.args[1].eval(env).(string)
	a, b = strings.ToLower(a), strings.ToLower(b)
	switch e.fn {
	case "startswith":
		return strings.HasPrefix(a, b)
	case "endswith":
		return strings.HasSuffix(a, b)
	default:
		return strings.Contains(a, b)
	}
}

func (e *binExpr) eval(env *evalEnv) any {
	switch e.op {
	case "and":
		return truthy(e.l.eval(env)) && truthy(e.r.eval(env))
	case "or":
		return truthy(e.l.eval(env)) || truthy(e.r.eval(env))
	}
	l, r := e.l.eval(env), e.r.eval(env)
	// Extended property ids: type and tag/GUID are case-insensitive, the
	// name is case-sensitive.
	// https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get
	if isExtIDPath(e.l, env) || isExtIDPath(e.r, env) {
		ls, _ := l.(string)
		rs, _ := r.(string)
		eq := canonicalExtID(ls) == canonicalExtID(rs)
		switch e.op {
		case "eq":
			return eq
		case "ne":
			return !eq
		}
		return false
	}
	c, ok := compareValues(l, r)
	switch e.op {
	case "eq":
		return ok && c == 0
	case "ne":
		return !ok || c != 0
	case "gt":
		return ok && c > 0
	case "ge":
		return ok && c >= 0
	case "lt":
		return ok && c < 0
	case "le":
		return ok && c <= 0
	}
	return false
}

func isExtIDPath(e Expr, env *evalEnv) bool {
	p, ok := e.(*pathExpr)
	if ok && env.extRoot && len(p.segs) == 1 && strings.EqualFold(p.segs[0], "id") {
		return true
	}
	return ok && len(p.segs) == 2 && env.extColl[p.segs[0]] && strings.EqualFold(p.segs[1], "id")
}

// compareValues compares a and b; strings case-insensitively (Exchange's
// string comparisons, including extended property values, ignore case).
func compareValues(a, b any) (int, bool) {
	if a == nil || b == nil {
		if a == nil && b == nil {
			return 0, true
		}
		return 1, false
	}
	switch bv := b.(type) {
	case time.Time:
		at, ok := ToTime(a)
		if !ok {
			return 0, false
		}
		return at.Compare(bv), true
	case float64:
		af, ok := toFloat(a)
		if !ok {
			return 0, false
		}
		return cmpFloat(af, bv), true
	case bool:
		ab, ok := a.(bool)
		if !ok {
			if s, isStr := a.(string); isStr {
				ab, ok = strings.EqualFold(s, "true"), true
			}
		}
		if !ok {
			return 0, false
		}
		if ab == bv {
			return 0, true
		}
		return 1, true
	case string:
		switch av := a.(type) {
		case time.Time:
			bt, ok := ToTime(bv)
			if !ok {
				return 0, false
			}
			return av.Compare(bt), true
		case float64:
			bf, ok := toFloat(bv)
			if !ok {
				return 0, false
			}
			return cmpFloat(av, bf), true
		case bool:
			return compareValues(bv, av)
		case string:
			return strings.Compare(strings.ToLower(av), strings.ToLower(bv)), true
		}
	}
	if _, ok := a.(time.Time); ok {
		c, ok := compareValues(b, a)
		return -c, ok
	}
	if _, ok := a.(float64); ok {
		c, ok := compareValues(b, a)
		return -c, ok
	}
	return 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ToTime reads a time.Time or a date-time string in the layouts Graph
// uses (RFC 3339, with 7 fractional digits and no zone, or a date).
func ToTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.0000000", "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// Matches evaluates f against the JSON view of a resource; a nil f
// matches everything.
func Matches(f Expr, view map[string]any) bool {
	if f == nil {
		return true
	}
	return truthy(f.eval(&evalEnv{root: view, vars: map[string]any{}, extColl: map[string]bool{}}))
}

// Keeps tells whether an element of the expanded collection passes the
// item's nested $filter. extProps says the collection holds extended
// properties, whose ids compare by extended-property id rules.
func (x ExpandItem) Keeps(el map[string]any, extProps bool) bool {
	return x.Filter == nil || truthy(x.Filter.eval(&evalEnv{root: el, vars: map[string]any{}, extColl: map[string]bool{}, extRoot: extProps}))
}

// Sort orders views by ob (stable); values that do not compare sort
// null first.
func Sort(views []map[string]any, ob []OrderBy) {
	if len(ob) == 0 {
		return
	}
	sort.SliceStable(views, func(i, j int) bool {
		for _, o := range ob {
			a, b := LookupPath(views[i], o.Prop), LookupPath(views[j], o.Prop)
			c, ok := compareValues(a, b)
			if !ok {
				switch {
				case a == nil && b != nil:
					c = -1
				case a != nil && b == nil:
					c = 1
				}
			}
			if c == 0 {
				continue
			}
			if o.Desc {
				return c > 0
			}
			return c < 0
		}
		return false
	})
}

// LookupPath returns the value at a "/"-separated property path of m,
// matching names case-insensitively; nil when absent.
func LookupPath(m map[string]any, path string) any {
	var cur any = m
	for _, s := range strings.Split(path, "/") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = lookupFold(mm, s)
	}
	return cur
}
