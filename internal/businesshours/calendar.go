package businesshours

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// MaxDuration caps an on_no_reply duration: 30 days (43,200 minutes, 720
// hours) in total, whatever the unit.
const MaxDuration = 30 * 24 * time.Hour

// ScanDays is how far ahead (in local calendar days) the arithmetic looks
// for business time before giving up with ErrNoBusinessTime, so that no
// schedule (even one whose closed dates cover every day) can make it loop
// for long.
const ScanDays = 3 * 366

// Horizon is ScanDays in words, for messages.
const Horizon = "3 years"

var (
	// ErrNoBusinessTime is returned when the answer lies more than ScanDays
	// local days after the start (for example when closed dates cover every
	// business day of the coming years).
	ErrNoBusinessTime = errors.New("businesshours: no business time found within the search horizon")
	// ErrInvalidDuration is returned for a negative duration or day count,
	// and by Due for a non-positive value, an unknown unit or a total over
	// MaxDuration.
	ErrInvalidDuration = errors.New("businesshours: invalid duration")
	// ErrOutOfRange is returned for a start outside the years 0001–9999.
	ErrOutOfRange = errors.New("businesshours: time out of supported range")
)

const (
	secondsPerDay = 24 * 60 * 60
	// zoneSlack bounds how far a local date can be from the UTC date: an
	// instant whose local date is D lies within D's UTC day ± zoneSlack.
	zoneSlack = 26 * 60 * 60
	// maxPeriods bounds the zone-offset periods considered around one day.
	maxPeriods = 8
	// Supported local days: 0001-01-01 to 9999-12-31.
	minDay = -719162
	maxDay = 2932896
)

// span is an opening interval in minutes since local midnight, [start, end).
type span struct{ start, end int32 }

// Calendar is a compiled Schedule: immutable, safe for concurrent use, and
// cheap to query (no allocation). Every result is in the schedule's
// location.
type Calendar struct {
	loc      *time.Location
	fixed    bool  // the location never changes offset
	fixedOff int64 // its offset, when fixed
	week     [7][]span
	closed   []int64 // sorted local day numbers (days since 1970-01-01)
}

// Location is the schedule's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// period is a stretch of instants [start, end) (unix seconds) during which
// the location's UTC offset is off seconds.
type period struct{ off, start, end int64 }

// zone returns the period of the location containing unix second x.
func (c *Calendar) zone(x int64) period {
	if c.fixed {
		return period{off: c.fixedOff, start: math.MinInt64, end: math.MaxInt64}
	}
	t := time.Unix(x, 0).In(c.loc)
	_, off := t.Zone()
	s, e := t.ZoneBounds()
	p := period{off: int64(off), start: math.MinInt64, end: math.MaxInt64}
	if !s.IsZero() {
		p.start = s.Unix()
	}
	if !e.IsZero() {
		p.end = e.Unix()
	}
	return p
}

// periods fills buf with the location's periods covering the instants
// [lo, hi), in order, and returns how many it stored.
func (c *Calendar) periods(lo, hi int64, buf *[maxPeriods]period) int {
	n := 0
	for x := lo; n < len(buf); {
		p := c.zone(x)
		buf[n] = p
		n++
		if p.end >= hi || p.end <= x {
			break
		}
		x = p.end
	}
	return n
}

// wall returns the local day number of t and the local seconds since its
// midnight.
func (c *Calendar) wall(t time.Time) (day, sec int64) {
	off := c.fixedOff
	if !c.fixed {
		_, o := t.In(c.loc).Zone()
		off = int64(o)
	}
	w := t.Unix() + off
	day = floorDiv(w, secondsPerDay)
	return day, w - day*secondsPerDay
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// weekday of a day number; 1970-01-01 was a Thursday.
func weekday(day int64) time.Weekday {
	w := (day + int64(time.Thursday)) % 7
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}

func (c *Calendar) isClosed(day int64) bool {
	if len(c.closed) == 0 {
		return false
	}
	_, found := slices.BinarySearch(c.closed, day)
	return found
}

// spans returns the opening intervals of a local day: none on a closed date.
func (c *Calendar) spans(day int64) []span {
	s := c.week[weekday(day)]
	if len(s) == 0 || c.isClosed(day) {
		return nil
	}
	return s
}

// IsOpen reports whether t is within business hours: its local date is not
// closed and its local clock time is inside one of that weekday's intervals.
func (c *Calendar) IsOpen(t time.Time) bool {
	day, sec := c.wall(t)
	for _, s := range c.spans(day) {
		if sec >= int64(s.start)*60 && sec < int64(s.end)*60 {
			return true
		}
	}
	return false
}

// AddBusinessDuration returns the instant at which d of business time has
// passed since t. Time within business hours counts as real elapsed time;
// if t is outside business hours counting starts at the next opening. When
// the remaining time runs out exactly at a closing time, the answer is that
// closing time (Friday 16:00 + 1 h is Friday 17:00 for 09:00–17:00). For
// d == 0 the answer is t when open, else the next opening.
//
// It fails with ErrInvalidDuration for d < 0, ErrOutOfRange for t outside
// the years 0001–9999, and ErrNoBusinessTime when the answer lies more than
// ScanDays local days after t.
func (c *Calendar) AddBusinessDuration(t time.Time, d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("%w: negative duration %s", ErrInvalidDuration, d)
	}
	first, _ := c.wall(t)
	if first < minDay || first > maxDay {
		return time.Time{}, ErrOutOfRange
	}
	cur, rem := t, d
	var buf [maxPeriods]period
	for day := first; day <= first+ScanDays; day++ {
		spans := c.spans(day)
		if len(spans) == 0 {
			continue
		}
		base := day * secondsPerDay
		n := c.periods(base-zoneSlack, base+secondsPerDay+zoneSlack, &buf)
		// The instants whose local clock is in [start, end) on this day:
		// for each offset period, the interval shifted by the offset and
		// clipped to the period. Periods are in order and the intervals
		// sorted, so the pieces come out sorted.
		for _, p := range buf[:n] {
			for _, s := range spans {
				a := max(base+int64(s.start)*60-p.off, p.start)
				b := min(base+int64(s.end)*60-p.off, p.end)
				if a >= b {
					continue
				}
				end := time.Unix(b, 0)
				if !cur.Before(end) {
					continue
				}
				if at := time.Unix(a, 0); cur.Before(at) {
					cur = at
				}
				if rem == 0 {
					return cur.In(c.loc), nil
				}
				avail := end.Sub(cur)
				if rem <= avail {
					return cur.Add(rem).In(c.loc), nil
				}
				rem -= avail
				cur = end
			}
		}
	}
	return time.Time{}, ErrNoBusinessTime
}

// AddBusinessDays steps forward from t one local calendar day at a time,
// counting only business days (a weekday with at least one opening interval
// that is not a closed date), until n have been counted, and returns that
// day at the local clock time of t (Saturday 10:00 + 1 is Monday 10:00,
// Friday 16:00 + 1 is Monday 16:00 for a Monday–Friday schedule). The day
// of t itself never counts. If the clock time falls in a spring-forward gap
// on that day it is moved forward by the gap's length (02:30 becomes 03:30
// when clocks jump from 02:00 to 03:00); if it occurs twice, the earlier
// occurrence is used. n == 0 returns t.
//
// It fails with ErrInvalidDuration for n < 0, ErrOutOfRange for t outside
// the years 0001–9999, and ErrNoBusinessTime when the answer lies more than
// ScanDays local days after t.
func (c *Calendar) AddBusinessDays(t time.Time, n int) (time.Time, error) {
	if n < 0 {
		return time.Time{}, fmt.Errorf("%w: negative day count %d", ErrInvalidDuration, n)
	}
	first, sec := c.wall(t)
	if first < minDay || first > maxDay {
		return time.Time{}, ErrOutOfRange
	}
	if n == 0 {
		return t.In(c.loc), nil
	}
	for day, count := first+1, 0; day <= first+ScanDays; day++ {
		if len(c.spans(day)) == 0 {
			continue
		}
		if count++; count == n {
			return c.resolve(day*secondsPerDay+sec, t.Nanosecond()), nil
		}
	}
	return time.Time{}, ErrNoBusinessTime
}

// resolve turns a local wall-clock time w (seconds since 1970-01-01 00:00
// local) into an instant: the earliest instant showing w, or, when w falls
// in a gap, w read with the offset in effect before the gap (that is,
// shifted forward by the gap's length).
func (c *Calendar) resolve(w int64, nsec int) time.Time {
	var buf [maxPeriods]period
	n := c.periods(w-zoneSlack, w+zoneSlack, &buf)
	for i, p := range buf[:n] {
		if x := w - p.off; x >= p.start && x < p.end {
			return time.Unix(x, int64(nsec)).In(c.loc)
		}
		if i+1 < n {
			if tr, next := p.end, buf[i+1]; tr+p.off <= w && w < tr+next.off {
				return time.Unix(w-p.off, int64(nsec)).In(c.loc)
			}
		}
	}
	return time.Unix(w-buf[0].off, int64(nsec)).In(c.loc)
}

// Due is the due time of an on_no_reply trigger for a waiting period that
// started at start: value units of "minutes", "hours" or "days" ("" means
// hours, the seed's default).
//
// Without onlyBusinessHours the duration is elapsed time, a day being 24
// hours (2 days fire exactly 48 hours after start), and c is not used (it
// may be nil); the result keeps start's location. With onlyBusinessHours,
// minutes and hours count business time (AddBusinessDuration) and days
// count business days (AddBusinessDays); the result is in c's location.
//
// It fails with ErrInvalidDuration when value is not positive, the unit is
// unknown, or the total exceeds MaxDuration (30 days, in every unit), and
// otherwise with the errors of the Calendar methods.
func Due(c *Calendar, start time.Time, value int, unit string, onlyBusinessHours bool) (time.Time, error) {
	if value <= 0 {
		return time.Time{}, fmt.Errorf("%w: value must be positive, got %d", ErrInvalidDuration, value)
	}
	var per time.Duration
	switch unit {
	case "minutes":
		per = time.Minute
	case "hours", "":
		per = time.Hour
	case "days":
		per = 24 * time.Hour
	default:
		return time.Time{}, fmt.Errorf("%w: unknown unit %q (minutes, hours or days)", ErrInvalidDuration, unit)
	}
	if int64(value) > int64(MaxDuration/per) {
		return time.Time{}, fmt.Errorf("%w: %d %s is more than 30 days", ErrInvalidDuration, value, unit)
	}
	d := time.Duration(value) * per
	if !onlyBusinessHours {
		return start.Add(d), nil
	}
	if c == nil {
		return time.Time{}, errors.New("businesshours: business-hours due time needs a calendar")
	}
	if unit == "days" {
		return c.AddBusinessDays(start, value)
	}
	return c.AddBusinessDuration(start, d)
}
