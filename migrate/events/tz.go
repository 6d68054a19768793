package events

import (
	"errors"
	"fmt"
	"strings"
	"time"

	// Embeds the IANA database so that TZIDs resolve on machines without
	// /usr/share/zoneinfo (Windows, minimal containers).
	_ "time/tzdata"

	"github.com/emersion/go-ical"
)

// ErrUnknownZone is returned (wrapped) for a TZID that neither the file's
// VTIMEZONE, the IANA database nor CLDR's Windows names resolve.
var ErrUnknownZone = errors.New("unknown time zone")

// zones resolves TZIDs for one file: its own VTIMEZONEs first, then IANA
// names, then Windows names through CLDR's table.
type zones struct {
	vtz   map[string]*ical.Component
	cache map[string]*time.Location
}

func newZones(vtz map[string]*ical.Component) *zones {
	return &zones{vtz: vtz, cache: map[string]*time.Location{}}
}

// location returns the zone tzid names; the empty tzid is floating time,
// taken as UTC.
func (z *zones) location(tzid string) (*time.Location, error) {
	tzid = strings.Trim(tzid, `"`)
	if tzid == "" {
		return time.UTC, nil
	}
	if loc, ok := z.cache[tzid]; ok {
		return loc, nil
	}
	loc, err := z.resolve(tzid)
	if err != nil {
		return nil, err
	}
	z.cache[tzid] = loc
	return loc, nil
}

func (z *zones) resolve(tzid string) (*time.Location, error) {
	named := namedLocation(tzid)
	comp, ok := z.vtz[tzid]
	if !ok {
		if named == nil {
			return nil, fmt.Errorf("TZID %q: %w", tzid, ErrUnknownZone)
		}
		return named, nil
	}
	// The file's own definition decides. A named zone is used when its
	// offsets agree with the definition (it then also knows the rules of
	// other years); else the first CLDR zone whose offsets agree; else
	// the definition's standard offset, fixed.
	if lic := comp.Props.Get("X-LIC-LOCATION"); lic != nil {
		if loc := namedLocation(lic.Value); loc != nil && matches(comp, loc) {
			return loc, nil
		}
	}
	if named != nil && matches(comp, named) {
		return named, nil
	}
	for _, wz := range windowsZones {
		if loc, err := time.LoadLocation(wz[1]); err == nil && matches(comp, loc) {
			return loc, nil
		}
	}
	std, _, ok := offsets(comp)
	if !ok {
		return nil, fmt.Errorf("TZID %q: VTIMEZONE without offsets: %w", tzid, ErrUnknownZone)
	}
	return time.FixedZone(tzid, std), nil
}

// namedLocation resolves an IANA or a Windows zone name, or returns nil.
func namedLocation(name string) *time.Location {
	if strings.EqualFold(name, "Z") || strings.EqualFold(name, "UTC") || strings.EqualFold(name, "GMT") {
		return time.UTC
	}
	if loc, err := time.LoadLocation(name); err == nil && name != "Local" {
		return loc
	}
	for _, wz := range windowsZones {
		if strings.EqualFold(wz[0], name) {
			if loc, err := time.LoadLocation(wz[1]); err == nil {
				return loc
			}
		}
	}
	return nil
}

// offsets returns a VTIMEZONE's standard and daylight offsets in
// seconds (daylight equals standard when there is none), from its last
// STANDARD and DAYLIGHT observances.
func offsets(comp *ical.Component) (std, dst int, ok bool) {
	haveDST := false
	for _, c := range comp.Children {
		p := c.Props.Get(ical.PropTimezoneOffsetTo)
		if p == nil {
			continue
		}
		off, err := parseOffset(p.Value)
		if err != nil {
			continue
		}
		switch c.Name {
		case ical.CompTimezoneStandard:
			std, ok = off, true
		case ical.CompTimezoneDaylight:
			dst, haveDST = off, true
		}
	}
	if !haveDST {
		dst = std
	}
	return std, dst, ok
}

// matches tells whether loc has the VTIMEZONE's standard and daylight
// offsets in January and July of the current era (2025).
func matches(comp *ical.Component, loc *time.Location) bool {
	std, dst, ok := offsets(comp)
	if !ok {
		return false
	}
	_, jan := time.Date(2025, 1, 15, 12, 0, 0, 0, loc).Zone()
	_, jul := time.Date(2025, 7, 15, 12, 0, 0, 0, loc).Zone()
	lo, hi := min(jan, jul), max(jan, jul)
	return lo == min(std, dst) && hi == max(std, dst)
}

// parseOffset parses a UTC offset such as +0100 or -053000.
func parseOffset(s string) (int, error) {
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		return 0, fmt.Errorf("bad UTC offset %q", s)
	}
	var h, m, sec int
	if _, err := fmt.Sscanf(s[1:5], "%02d%02d", &h, &m); err != nil {
		return 0, fmt.Errorf("bad UTC offset %q: %w", s, err)
	}
	if len(s) == 7 {
		if _, err := fmt.Sscanf(s[5:], "%02d", &sec); err != nil {
			return 0, fmt.Errorf("bad UTC offset %q: %w", s, err)
		}
	}
	off := h*3600 + m*60 + sec
	if s[0] == '-' {
		off = -off
	}
	return off, nil
}

// WindowsZone returns the Windows time-zone name for loc (by CLDR), the
// kind of name Graph's dateTimeTimeZone always accepts, and false when
// CLDR's table as kept here has none for it.
func WindowsZone(loc *time.Location) (string, bool) {
	name := loc.String()
	if loc == time.UTC || name == "UTC" {
		return "UTC", true
	}
	for _, wz := range windowsZones {
		if wz[1] == name || strings.EqualFold(wz[0], name) {
			return wz[0], true
		}
	}
	for _, wz := range territoryZones {
		if wz[1] == name {
			return wz[0], true
		}
	}
	return "", false
}
