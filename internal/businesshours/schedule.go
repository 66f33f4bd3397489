// Package businesshours owns a workspace's business-hours schedule (a time
// zone, opening intervals per weekday and closed dates), its validation, and
// pure time arithmetic on it: whether an instant is within business hours,
// adding business time or business days, and the due time of an on_no_reply
// trigger (see DESIGN.md §5).
//
// A Schedule is the API's JSON shape. Parse validates generic JSON into a
// normalized Schedule, reporting every bad field by path as a
// *validate.Error. Compile turns a Schedule into an immutable Calendar that
// answers time questions cheaply and without allocating; a Calendar is safe
// for concurrent use. Nothing in this package reads the clock.
//
// Semantics of the local wall clock:
//
//   - An instant is within business hours when its local date (in the
//     schedule's time zone) is not a closed date and its local wall-clock
//     time lies in one of that weekday's intervals [start, end). Intervals
//     are half-open, so a day open 09:00–17:00 is closed at 17:00.
//   - Business time is real elapsed time: on a daylight-saving day an
//     interval spanning the change counts its real length (01:00–05:00 is 3 h
//     on a spring-forward day in Europe/Berlin and 5 h on a fall-back day).
//     A part of an interval that falls in a spring-forward gap does not
//     exist and does not count; in a repeated (fall-back) hour the clock
//     passes the same times twice and both passes count if they are inside
//     an interval.
//   - When a local clock time must be turned into an instant
//     (AddBusinessDays keeps the clock time of its start), a time inside a
//     spring-forward gap is moved forward by the length of the gap (02:30
//     on a day when clocks jump from 02:00 to 03:00 becomes 03:30), and a
//     time that occurs twice is the earlier occurrence. This is the same in
//     every zone, unlike time.Date, whose choice is unspecified and in
//     practice differs between zones east and west of UTC.
package businesshours

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // zones load on machines without a zoneinfo database

	"github.com/deskflow/deskflow/internal/validate"
)

// Limits on a schedule's size, so that a stored schedule stays small and
// every computation on it stays cheap.
const (
	// MaxIntervalsPerDay is the largest number of opening intervals a
	// weekday may have.
	MaxIntervalsPerDay = 48
	// MaxClosedDates is the largest number of closed dates a schedule may
	// list (ten years of daily closures).
	MaxClosedDates = 3660
)

// Interval is one opening interval of a weekday, in local wall-clock time
// "HH:MM". Start is 00:00–23:59, End is 00:01–24:00 and later than Start.
type Interval struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Schedule is a workspace's business hours as the API reads and writes them.
// Weekly is keyed by lower-case English day name ("monday" … "sunday"); a
// missing or empty day is closed. ClosedDates are local dates "YYYY-MM-DD"
// on which the workspace is closed all day.
//
// Marshalled JSON always has all seven days (empty arrays, never null) in
// the order monday … sunday, and closed_dates as [] when there are none.
// Unmarshalling goes through Parse, so it validates and normalizes.
type Schedule struct {
	Timezone    string                `json:"timezone"`
	Weekly      map[string][]Interval `json:"weekly"`
	ClosedDates []string              `json:"closed_dates"`
}

// dayNames lists the weekdays in the order they are shown (monday first);
// dayWeekday gives the time.Weekday of each.
var (
	dayNames   = [7]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
	dayWeekday = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
)

// Default is the schedule of a workspace that never set one: Monday to
// Friday 09:00–17:00, UTC, no closed dates.
func Default() Schedule {
	s := Schedule{Timezone: "UTC", Weekly: emptyWeek(), ClosedDates: []string{}}
	for _, d := range dayNames[:5] {
		s.Weekly[d] = []Interval{{Start: "09:00", End: "17:00"}}
	}
	return s
}

func emptyWeek() map[string][]Interval {
	w := make(map[string][]Interval, len(dayNames))
	for _, d := range dayNames {
		w[d] = []Interval{}
	}
	return w
}

// MarshalJSON writes the schedule with all seven weekdays in order and
// closed_dates as an array (never null).
func (s Schedule) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"timezone":`)
	if err := writeJSON(&b, s.Timezone); err != nil {
		return nil, err
	}
	b.WriteString(`,"weekly":{`)
	for i, d := range dayNames {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + d + `":`)
		ivs := s.Weekly[d]
		if ivs == nil {
			ivs = []Interval{}
		}
		if err := writeJSON(&b, ivs); err != nil {
			return nil, err
		}
	}
	b.WriteString(`},"closed_dates":`)
	dates := s.ClosedDates
	if dates == nil {
		dates = []string{}
	}
	if err := writeJSON(&b, dates); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(data)
	return nil
}

// UnmarshalJSON decodes and validates a schedule with Parse; an invalid
// schedule gives a *validate.Error.
func (s *Schedule) UnmarshalJSON(data []byte) error {
	v, err := validate.Decode(data)
	if err != nil {
		return err
	}
	parsed, err := Parse(v)
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}

// Parse validates a schedule given as generic JSON (as produced by
// validate.Decode: map[string]any, []any, string, json.Number, …) and
// returns it normalized: all seven weekdays present, each day's intervals
// sorted by start, closed dates sorted and without duplicates. An invalid
// schedule gives a *validate.Error naming every bad field by path, e.g.
// "timezone", "weekly.funday", "weekly.monday.0.start", "weekly.monday.1"
// (overlap), "closed_dates.2", or "weekly" when no weekday has any opening
// interval.
func Parse(value any) (Schedule, error) {
	errs := &validate.Errors{}
	if _, isObject := value.(map[string]any); !isObject && value != nil {
		return Schedule{}, validate.Field("body", "must be an object")
	}
	root := validate.NewObject(errs, "", value)
	out := Schedule{Weekly: emptyWeek(), ClosedDates: []string{}}

	if tz, ok := root.String("timezone", true); ok {
		if checkZone(tz) {
			out.Timezone = tz
		} else {
			errs.Add(root.FieldPath("timezone"), "must be an IANA time zone name such as Europe/Berlin")
		}
	}

	if weekly, ok := root.Object("weekly", true); ok {
		items, typeErr := 0, false
		for _, d := range dayNames {
			path := weekly.FieldPath(d)
			raw, ok := weekly.Array(d, false, MaxIntervalsPerDay, "intervals")
			if errs.Has(path) {
				typeErr = true
			}
			if !ok {
				continue
			}
			items += len(raw)
			out.Weekly[d] = parseDay(errs, path, raw)
		}
		for _, k := range weekly.UnknownKeys() { // every day was read
			errs.Add(weekly.FieldPath(k), "is not a day of the week (monday, tuesday, wednesday, thursday, friday, saturday or sunday)")
		}
		if items == 0 && !typeErr {
			errs.Add(root.FieldPath("weekly"), "must have at least one opening interval")
		}
	}

	if raw, ok := root.Array("closed_dates", false, MaxClosedDates, "dates"); ok {
		out.ClosedDates = parseDates(errs, root.FieldPath("closed_dates"), raw)
	}

	root.RejectUnknown()
	if err := errs.Err(); err != nil {
		return Schedule{}, err
	}
	return out, nil
}

// checkZone reports whether name is a zone time.LoadLocation accepts, other
// than "Local" (the machine's zone is not a workspace setting).
func checkZone(name string) bool {
	if name == "Local" || strings.TrimSpace(name) != name {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

type parsedInterval struct {
	start, end int // minutes since local midnight
	index      int // position in the input
}

func parseDay(errs *validate.Errors, path string, raw []any) []Interval {
	ivs := make([]parsedInterval, 0, len(raw))
	var reported validate.Seen
	for i, item := range raw {
		p := validate.Index(path, i)
		if _, isObject := item.(map[string]any); !isObject {
			if reported.First(item) {
				errs.Add(p, "must be an object with start and end")
			}
			continue
		}
		o := validate.NewObject(errs, p, item)
		s, sok := o.String("start", true)
		e, eok := o.String("end", true)
		o.RejectUnknown()
		sm, em := -1, -1
		if sok {
			if m, ok := parseClock(s); ok && m < minutesPerDay {
				sm = m
			} else {
				errs.Add(o.FieldPath("start"), "must be a time HH:MM from 00:00 to 23:59")
			}
		}
		if eok {
			if m, ok := parseClock(e); ok {
				em = m
			} else {
				errs.Add(o.FieldPath("end"), "must be a time HH:MM from 00:00 to 24:00")
			}
		}
		if sm < 0 || em < 0 {
			continue
		}
		if em <= sm {
			errs.Add(o.FieldPath("end"), "must be later than start")
			continue
		}
		ivs = append(ivs, parsedInterval{start: sm, end: em, index: i})
	}
	slices.SortStableFunc(ivs, func(a, b parsedInterval) int { return a.start - b.start })
	out := make([]Interval, 0, len(ivs))
	maxEnd, maxIdx := -1, -1
	for _, iv := range ivs {
		if iv.start < maxEnd {
			at, other := max(iv.index, maxIdx), min(iv.index, maxIdx)
			errs.Add(validate.Index(path, at), "overlaps interval %d of the same day", other)
		}
		if iv.end > maxEnd {
			maxEnd, maxIdx = iv.end, iv.index
		}
		out = append(out, Interval{Start: formatClock(iv.start), End: formatClock(iv.end)})
	}
	return out
}

const minutesPerDay = 24 * 60

// parseClock reads "HH:MM" (exactly two digits each) from 00:00 to 24:00.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, ok1 := twoDigits(s[0:2])
	m, ok2 := twoDigits(s[3:5])
	if !ok1 || !ok2 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

func twoDigits(s string) (int, bool) {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func formatClock(m int) string {
	h, mm := m/60, m%60
	return string([]byte{byte('0' + h/10), byte('0' + h%10), ':', byte('0' + mm/10), byte('0' + mm%10)})
}

func parseDates(errs *validate.Errors, path string, raw []any) []string {
	out := make([]string, 0, len(raw))
	var reported validate.Seen
	for i, item := range raw {
		s, isString := item.(string)
		if _, ok := parseDate(s); !isString || !ok {
			if reported.First(item) {
				errs.Add(validate.Index(path, i), "must be a date YYYY-MM-DD")
			}
			continue
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// parseDate reads a real calendar date "YYYY-MM-DD" (years 0001–9999) and
// returns its day number (days since 1970-01-01).
func parseDate(s string) (int64, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y1, ok1 := twoDigits(s[0:2])
	y2, ok2 := twoDigits(s[2:4])
	mo, ok3 := twoDigits(s[5:7])
	d, ok4 := twoDigits(s[8:10])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, false
	}
	y := y1*100 + y2
	if y < 1 || mo < 1 || mo > 12 || d < 1 {
		return 0, false
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || t.Month() != time.Month(mo) {
		return 0, false
	}
	return t.Unix() / secondsPerDay, true
}

// generic turns s back into generic JSON, so that Compile validates with
// exactly the rules of Parse.
func (s Schedule) generic() any {
	weekly := make(map[string]any, len(s.Weekly))
	for d, ivs := range s.Weekly {
		items := make([]any, len(ivs))
		for i, iv := range ivs {
			items[i] = map[string]any{"start": iv.Start, "end": iv.End}
		}
		weekly[d] = items
	}
	dates := make([]any, len(s.ClosedDates))
	for i, d := range s.ClosedDates {
		dates[i] = d
	}
	return map[string]any{"timezone": s.Timezone, "weekly": weekly, "closed_dates": dates}
}

// Compile validates s (with the rules of Parse) and prepares the immutable
// Calendar used for time arithmetic. An invalid schedule gives a
// *validate.Error.
func (s Schedule) Compile() (*Calendar, error) {
	n, err := Parse(s.generic())
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(n.Timezone)
	if err != nil { // cannot happen: Parse loaded it
		return nil, validate.Field("timezone", "must be an IANA time zone name such as Europe/Berlin")
	}
	c := &Calendar{loc: loc}
	if start, end := time.Unix(0, 0).In(loc).ZoneBounds(); start.IsZero() && end.IsZero() {
		_, off := time.Unix(0, 0).In(loc).Zone()
		c.fixed, c.fixedOff = true, int64(off)
	}
	for i, d := range dayNames {
		var spans []span
		for _, iv := range n.Weekly[d] {
			sm, _ := parseClock(iv.Start)
			em, _ := parseClock(iv.End)
			// Intervals are sorted and do not overlap; merge touching ones.
			if k := len(spans); k > 0 && spans[k-1].end == int32(sm) {
				spans[k-1].end = int32(em)
				continue
			}
			spans = append(spans, span{start: int32(sm), end: int32(em)})
		}
		c.week[dayWeekday[i]] = spans
	}
	c.closed = make([]int64, 0, len(n.ClosedDates))
	for _, d := range n.ClosedDates {
		day, _ := parseDate(d)
		c.closed = append(c.closed, day)
	}
	return c, nil
}
