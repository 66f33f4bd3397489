package businesshours

import (
	"testing"
	"time"
)

func mustLoc(tb testing.TB, zone string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		tb.Fatalf("LoadLocation(%q): %v", zone, err)
	}
	return loc
}

// local parses "2006-01-02 15:04" (optionally ":05") in zone. Only for
// clock times that exist exactly once.
func local(tb testing.TB, zone, s string) time.Time {
	tb.Helper()
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout = "2006-01-02 15:04:05"
	}
	v, err := time.ParseInLocation(layout, s, mustLoc(tb, zone))
	if err != nil {
		tb.Fatalf("parse %q: %v", s, err)
	}
	return v
}

func utc(tb testing.TB, s string) time.Time {
	tb.Helper()
	return local(tb, "UTC", s)
}

func iv(start, end string) Interval { return Interval{Start: start, End: end} }

// week builds a Weekly map from day name to intervals.
func week(days map[string][]Interval) map[string][]Interval { return days }

func mustCompile(tb testing.TB, s Schedule) *Calendar {
	tb.Helper()
	c, err := s.Compile()
	if err != nil {
		tb.Fatalf("Compile: %v", err)
	}
	return c
}

// officeHours is Monday–Friday with the given intervals in zone.
func officeHours(tb testing.TB, zone string, intervals []Interval, closed ...string) *Calendar {
	tb.Helper()
	w := map[string][]Interval{}
	for _, d := range dayNames[:5] {
		w[d] = intervals
	}
	return mustCompile(tb, Schedule{Timezone: zone, Weekly: w, ClosedDates: closed})
}

// nineToFive is Monday–Friday 09:00–17:00 in zone.
func nineToFive(tb testing.TB, zone string, closed ...string) *Calendar {
	tb.Helper()
	return officeHours(tb, zone, []Interval{iv("09:00", "17:00")}, closed...)
}

func sameInstant(tb testing.TB, what string, got, want time.Time) {
	tb.Helper()
	if !got.Equal(want) {
		loc := want.Location()
		tb.Errorf("%s = %s (%s UTC), want %s (%s UTC)", what,
			got.In(loc).Format(time.RFC3339Nano+" Mon MST"), got.UTC().Format(time.RFC3339Nano),
			want.Format(time.RFC3339Nano+" Mon MST"), want.UTC().Format(time.RFC3339Nano))
	}
}
