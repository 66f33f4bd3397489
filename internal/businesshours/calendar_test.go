package businesshours

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

const berlin = "Europe/Berlin"

// TestDueWorkedExamples is the table of DESIGN.md §5: hours Mon–Fri
// 09:00–17:00 Europe/Berlin, in the week of Friday 2026-11-27.
func TestDueWorkedExamples(t *testing.T) {
	plain := nineToFive(t, berlin)
	mondayHoliday := nineToFive(t, berlin, "2026-11-30")
	tests := []struct {
		name    string
		cal     *Calendar
		message string
		value   int
		unit    string
		onlyBH  bool
		due     string
	}{
		{"Fri 16:00 + 4 hours business", plain, "2026-11-27 16:00", 4, "hours", true, "2026-11-30 12:00"},
		{"Sat 10:00 + 4 hours business", plain, "2026-11-28 10:00", 4, "hours", true, "2026-11-30 13:00"},
		{"Fri 16:00 + 2 business days", plain, "2026-11-27 16:00", 2, "days", true, "2026-12-01 16:00"},
		{"Fri 16:00 + 1 business day, Mon holiday", mondayHoliday, "2026-11-27 16:00", 1, "days", true, "2026-12-01 16:00"},
		{"Fri 16:00 + 2 calendar days", plain, "2026-11-27 16:00", 2, "days", false, "2026-11-29 16:00"},
		{"Fri 16:30 + 90 minutes business", plain, "2026-11-27 16:30", 90, "minutes", true, "2026-11-30 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := local(t, berlin, tt.message)
			got, err := Due(tt.cal, start, tt.value, tt.unit, tt.onlyBH)
			if err != nil {
				t.Fatalf("Due: %v", err)
			}
			sameInstant(t, "due", got, local(t, berlin, tt.due))
		})
	}
	// "2 days fires exactly 48 hours after the unanswered message".
	start := local(t, berlin, "2026-11-27 16:00")
	got, _ := Due(plain, start, 2, "days", false)
	if d := got.Sub(start); d != 48*time.Hour {
		t.Errorf("2 calendar days elapsed %s, want 48h", d)
	}
	// Without business hours no calendar is needed.
	if got, err := Due(nil, start, 2, "days", false); err != nil || !got.Equal(start.Add(48*time.Hour)) {
		t.Errorf("Due(nil calendar) = %s, %v", got, err)
	}
}

func TestAddBusinessDurationBasics(t *testing.T) {
	cal := nineToFive(t, berlin)
	tests := []struct {
		name  string
		start string
		d     time.Duration
		want  string
	}{
		{"inside, same day", "2026-11-25 10:00", 2 * time.Hour, "2026-11-25 12:00"},
		{"ends exactly at closing", "2026-11-27 16:00", time.Hour, "2026-11-27 17:00"},
		{"one minute past closing", "2026-11-27 16:00", time.Hour + time.Minute, "2026-11-30 09:01"},
		{"before opening", "2026-11-25 07:30", 30 * time.Minute, "2026-11-25 09:30"},
		{"at closing starts next day", "2026-11-25 17:00", time.Minute, "2026-11-26 09:01"},
		{"at closing, whole day", "2026-11-25 17:00", 8 * time.Hour, "2026-11-26 17:00"},
		{"night before", "2026-11-24 23:59", 8 * time.Hour, "2026-11-25 17:00"},
		{"Sunday", "2026-11-29 12:00", time.Minute, "2026-11-30 09:01"},
		{"minutes across several days", "2026-11-23 09:00", 1000 * time.Minute, "2026-11-25 09:40"},
		{"across weekend and several days", "2026-11-27 16:30", 2000 * time.Minute, "2026-12-04 09:50"},
		{"a full 30 days of business time", "2026-11-23 09:00", MaxDuration, "2027-03-26 17:00"},
		{"sub-minute precision", "2026-11-27 16:59:59", 1500 * time.Millisecond, "2026-11-30 09:00:00.5"},
		{"zero while open", "2026-11-25 10:00", 0, "2026-11-25 10:00"},
		{"zero while closed is the next opening", "2026-11-28 10:00", 0, "2026-11-30 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want time.Time
			if strings.Contains(tt.want, ".") {
				v, err := time.ParseInLocation("2006-01-02 15:04:05.999", tt.want, mustLoc(t, berlin))
				if err != nil {
					t.Fatal(err)
				}
				want = v
			} else {
				want = local(t, berlin, tt.want)
			}
			got, err := cal.AddBusinessDuration(local(t, berlin, tt.start), tt.d)
			if err != nil {
				t.Fatalf("AddBusinessDuration: %v", err)
			}
			sameInstant(t, "result", got, want)
			if got.Location() != cal.Location() {
				t.Errorf("result location %s, want %s", got.Location(), cal.Location())
			}
		})
	}
}

func TestIsOpen(t *testing.T) {
	cal := officeHours(t, berlin, []Interval{iv("09:00", "12:00"), iv("13:00", "17:00")}, "2026-11-26")
	tests := []struct {
		at   string
		open bool
	}{
		{"2026-11-25 08:59:59", false},
		{"2026-11-25 09:00", true},
		{"2026-11-25 11:59:59", true},
		{"2026-11-25 12:00", false},
		{"2026-11-25 12:30", false},
		{"2026-11-25 13:00", true},
		{"2026-11-25 16:59", true},
		{"2026-11-25 17:00", false},
		{"2026-11-26 10:00", false}, // closed date
		{"2026-11-27 10:00", true},
		{"2026-11-28 10:00", false}, // Saturday
	}
	for _, tt := range tests {
		if got := cal.IsOpen(local(t, berlin, tt.at)); got != tt.open {
			t.Errorf("IsOpen(%s) = %v, want %v", tt.at, got, tt.open)
		}
	}
	// The zone of the argument does not matter, only the instant.
	if !cal.IsOpen(utc(t, "2026-11-25 08:30")) { // 09:30 in Berlin
		t.Error("IsOpen(08:30 UTC = 09:30 Berlin) = false")
	}
}

func TestSplitDays(t *testing.T) {
	cal := officeHours(t, berlin, []Interval{iv("09:00", "12:00"), iv("13:00", "17:00")})
	tests := []struct {
		name  string
		start string
		d     time.Duration
		want  string
	}{
		{"start in the lunch gap", "2026-11-25 12:30", time.Hour, "2026-11-25 14:00"},
		{"start at the lunch closing", "2026-11-25 12:00", time.Minute, "2026-11-25 13:01"},
		{"across lunch", "2026-11-25 11:30", time.Hour, "2026-11-25 13:30"},
		{"ends exactly at lunch", "2026-11-25 11:00", time.Hour, "2026-11-25 12:00"},
		{"whole business day from the lunch gap", "2026-11-25 12:30", 7 * time.Hour, "2026-11-26 12:00"},
		{"afternoon into next morning", "2026-11-25 16:30", time.Hour, "2026-11-26 09:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cal.AddBusinessDuration(local(t, berlin, tt.start), tt.d)
			if err != nil {
				t.Fatal(err)
			}
			sameInstant(t, "result", got, local(t, berlin, tt.want))
		})
	}
	got, err := cal.AddBusinessDays(local(t, berlin, "2026-11-25 12:30"), 1)
	if err != nil {
		t.Fatal(err)
	}
	sameInstant(t, "business day from the lunch gap", got, local(t, berlin, "2026-11-26 12:30"))
}

func TestClosedDates(t *testing.T) {
	fridayHoliday := nineToFive(t, berlin, "2026-11-27")
	yearEnd := nineToFive(t, berlin, "2026-12-24", "2026-12-25", "2027-01-01")
	plain := nineToFive(t, berlin)
	tests := []struct {
		name   string
		cal    *Calendar
		start  string
		value  int
		unit   string
		onlyBH bool
		want   string
	}{
		{"Friday holiday before a weekend, hours", fridayHoliday, "2026-11-26 16:00", 2, "hours", true, "2026-11-30 10:00"},
		{"Friday holiday before a weekend, days", fridayHoliday, "2026-11-26 16:00", 1, "days", true, "2026-11-30 16:00"},
		{"Friday holiday, starting on it", fridayHoliday, "2026-11-27 10:00", 30, "minutes", true, "2026-11-30 09:30"},
		{"Christmas", yearEnd, "2026-12-23 16:00", 2, "hours", true, "2026-12-28 10:00"},
		{"year end, hours", yearEnd, "2026-12-31 16:00", 4, "hours", true, "2027-01-04 12:00"},
		{"year end, days", yearEnd, "2026-12-31 16:00", 1, "days", true, "2027-01-04 16:00"},
		{"year end without holidays", plain, "2026-12-31 16:00", 4, "hours", true, "2027-01-01 12:00"},
		{"year end, calendar days", yearEnd, "2026-12-31 16:00", 1, "days", false, "2027-01-01 16:00"},
		{"New Year's Eve to Jan 1, minutes", plain, "2026-12-31 16:59", 2, "minutes", true, "2027-01-01 09:01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Due(tt.cal, local(t, berlin, tt.start), tt.value, tt.unit, tt.onlyBH)
			if err != nil {
				t.Fatal(err)
			}
			sameInstant(t, "due", got, local(t, berlin, tt.want))
		})
	}
}

func TestAddBusinessDaysKeepsClockTime(t *testing.T) {
	cal := nineToFive(t, berlin, "2026-12-25")
	tests := []struct {
		name  string
		start string
		n     int
		want  string
	}{
		{"Saturday to Monday", "2026-11-28 10:00", 1, "2026-11-30 10:00"},
		{"Sunday to Monday", "2026-11-29 23:30", 1, "2026-11-30 23:30"},
		{"Friday to Monday", "2026-11-27 16:00", 1, "2026-11-30 16:00"},
		{"outside hours stays outside", "2026-11-27 20:00", 1, "2026-11-30 20:00"},
		{"early morning", "2026-11-25 06:15", 2, "2026-11-27 06:15"},
		{"seconds kept", "2026-11-25 10:15:30", 3, "2026-11-30 10:15:30"},
		{"a week", "2026-11-23 09:00", 5, "2026-11-30 09:00"},
		{"over a holiday", "2026-12-24 11:00", 1, "2026-12-28 11:00"},
		{"30 business days", "2026-11-23 09:00", 30, "2027-01-05 09:00"},
		{"zero days", "2026-11-28 10:00", 0, "2026-11-28 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cal.AddBusinessDays(local(t, berlin, tt.start), tt.n)
			if err != nil {
				t.Fatal(err)
			}
			sameInstant(t, "result", got, local(t, berlin, tt.want))
		})
	}
	start := local(t, berlin, "2026-11-25 10:15:30").Add(123456789 * time.Nanosecond)
	got, err := cal.AddBusinessDays(start, 1)
	if err != nil {
		t.Fatal(err)
	}
	sameInstant(t, "nanoseconds kept", got, local(t, berlin, "2026-11-26 10:15:30").Add(123456789*time.Nanosecond))
}

// TestDaylightSaving covers both changes in Europe/Berlin and
// America/New_York and a zone on each side of UTC where the local date is
// not the UTC date.
func TestDaylightSaving(t *testing.T) {
	// nightOpen: open 01:00–05:00 on Sundays and 09:00–17:00 Monday to
	// Friday: the Sunday interval spans the change in every zone tested.
	nightOpen := func(zone string) *Calendar {
		w := map[string][]Interval{"sunday": {iv("01:00", "05:00")}}
		for _, d := range dayNames[:5] {
			w[d] = []Interval{iv("09:00", "17:00")}
		}
		return mustCompile(t, Schedule{Timezone: zone, Weekly: w})
	}
	allSunday := func(zone string) *Calendar {
		return mustCompile(t, Schedule{Timezone: zone, Weekly: week(map[string][]Interval{
			"sunday": {iv("00:00", "24:00")}, "monday": {iv("09:00", "17:00")},
		})})
	}
	every := func(zone string, ivs ...Interval) *Calendar {
		w := map[string][]Interval{}
		for _, d := range dayNames {
			w[d] = ivs
		}
		return mustCompile(t, Schedule{Timezone: zone, Weekly: w})
	}

	t.Run("interval spanning the change counts its real length", func(t *testing.T) {
		tests := []struct {
			zone, day string
			length    time.Duration
		}{
			{berlin, "2026-03-29", 3 * time.Hour}, // 02:00 → 03:00
			{berlin, "2026-10-25", 5 * time.Hour}, // 03:00 → 02:00
			{"America/New_York", "2026-03-08", 3 * time.Hour},
			{"America/New_York", "2026-11-01", 5 * time.Hour},
			{"America/Los_Angeles", "2026-03-08", 3 * time.Hour},
			{"America/Los_Angeles", "2026-11-01", 5 * time.Hour},
			{"Pacific/Auckland", "2026-09-27", 3 * time.Hour}, // 02:00 → 03:00
			{"Pacific/Auckland", "2026-04-05", 5 * time.Hour}, // 03:00 → 02:00
			{berlin, "2026-11-29", 4 * time.Hour},             // no change
		}
		for _, tt := range tests {
			t.Run(tt.zone+" "+tt.day, func(t *testing.T) {
				cal := nightOpen(tt.zone)
				open := local(t, tt.zone, tt.day+" 01:00")
				closing := local(t, tt.zone, tt.day+" 05:00")
				if got := closing.Sub(open); got != tt.length {
					t.Fatalf("test data: 01:00–05:00 is %s of real time, want %s", got, tt.length)
				}
				got, err := cal.AddBusinessDuration(open, tt.length)
				if err != nil {
					t.Fatal(err)
				}
				sameInstant(t, "whole interval", got, closing)
				monday := local(t, tt.zone, tt.day+" 09:00").AddDate(0, 0, 1)
				got, err = cal.AddBusinessDuration(open, tt.length+time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				sameInstant(t, "one minute more", got, monday.Add(time.Minute))
				// Starting on Saturday evening gives the same answer.
				got, err = cal.AddBusinessDuration(open.Add(-6*time.Hour), tt.length)
				if err != nil {
					t.Fatal(err)
				}
				sameInstant(t, "from Saturday", got, closing)
				if !cal.IsOpen(closing.Add(-time.Nanosecond)) || cal.IsOpen(closing) || cal.IsOpen(open.Add(-time.Nanosecond)) || !cal.IsOpen(open) {
					t.Error("IsOpen disagrees with the interval's bounds")
				}
			})
		}
	})

	t.Run("a whole Sunday is 23 or 25 hours", func(t *testing.T) {
		tests := []struct {
			zone, day string
			length    time.Duration
		}{
			{berlin, "2026-03-29", 23 * time.Hour},
			{berlin, "2026-10-25", 25 * time.Hour},
			{"America/New_York", "2026-03-08", 23 * time.Hour},
			{"America/New_York", "2026-11-01", 25 * time.Hour},
		}
		for _, tt := range tests {
			t.Run(tt.zone+" "+tt.day, func(t *testing.T) {
				cal := allSunday(tt.zone)
				midnight := local(t, tt.zone, tt.day+" 00:00")
				next := midnight.AddDate(0, 0, 1)
				got, err := cal.AddBusinessDuration(midnight, tt.length)
				if err != nil {
					t.Fatal(err)
				}
				sameInstant(t, "whole day", got, next)
				got, err = cal.AddBusinessDuration(midnight, tt.length+time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				sameInstant(t, "one hour more", got, next.Add(10*time.Hour)) // Monday 10:00
			})
		}
	})

	t.Run("hours are elapsed time", func(t *testing.T) {
		cal := every(berlin, iv("00:00", "24:00"))
		// Saturday 22:00 + 6 h crosses the spring change: 05:00 CEST.
		got, err := Due(cal, local(t, berlin, "2026-03-28 22:00"), 6, "hours", true)
		if err != nil {
			t.Fatal(err)
		}
		sameInstant(t, "spring", got, local(t, berlin, "2026-03-29 05:00"))
		got, err = Due(cal, local(t, berlin, "2026-10-24 22:00"), 6, "hours", true)
		if err != nil {
			t.Fatal(err)
		}
		sameInstant(t, "autumn", got, local(t, berlin, "2026-10-25 03:00"))
		// Not business hours: days are 24 hours, the clock shifts.
		got, _ = Due(cal, local(t, berlin, "2026-03-27 16:00"), 2, "days", false)
		sameInstant(t, "2 calendar days over spring", got, local(t, berlin, "2026-03-29 17:00"))
		got, _ = Due(cal, local(t, berlin, "2026-10-23 16:00"), 2, "days", false)
		sameInstant(t, "2 calendar days over autumn", got, local(t, berlin, "2026-10-25 15:00"))
		got, _ = Due(cal, local(t, "America/New_York", "2026-03-07 09:00"), 36, "hours", false)
		sameInstant(t, "36 hours over New York spring", got, local(t, "America/New_York", "2026-03-08 22:00"))
	})

	t.Run("business days keep the clock across the change", func(t *testing.T) {
		tests := []struct {
			zone, start, want string
			elapsed           time.Duration
		}{
			{berlin, "2026-03-27 16:00", "2026-03-30 16:00", 71 * time.Hour},
			{berlin, "2026-10-23 16:00", "2026-10-26 16:00", 73 * time.Hour},
			{"America/New_York", "2026-03-06 16:00", "2026-03-09 16:00", 71 * time.Hour},
			{"America/New_York", "2026-10-30 16:00", "2026-11-02 16:00", 73 * time.Hour},
		}
		for _, tt := range tests {
			cal := nineToFive(t, tt.zone)
			start := local(t, tt.zone, tt.start)
			got, err := Due(cal, start, 1, "days", true)
			if err != nil {
				t.Fatal(err)
			}
			sameInstant(t, tt.zone+" "+tt.start, got, local(t, tt.zone, tt.want))
			if d := got.Sub(start); d != tt.elapsed {
				t.Errorf("%s %s: elapsed %s, want %s", tt.zone, tt.start, d, tt.elapsed)
			}
		}
	})

	t.Run("business days into a gap or a repeated hour", func(t *testing.T) {
		tests := []struct {
			name, zone string
			start      time.Time
			want       time.Time
		}{
			// 02:30 does not exist on the spring day: moved forward by
			// the gap, to 03:30 summer time, east and west of UTC alike.
			{"Berlin gap", berlin, utc(t, "2026-03-28 01:30"), utc(t, "2026-03-29 01:30")},
			{"New York gap", "America/New_York", utc(t, "2026-03-07 07:30"), utc(t, "2026-03-08 07:30")},
			// 02:30 / 01:30 happen twice on the autumn day: the first.
			{"Berlin repeated hour", berlin, utc(t, "2026-10-24 00:30"), utc(t, "2026-10-25 00:30")},
			{"New York repeated hour", "America/New_York", utc(t, "2026-10-31 05:30"), utc(t, "2026-11-01 05:30")},
			// Lord Howe moves its clocks by 30 minutes.
			{"Lord Howe gap", "Australia/Lord_Howe", utc(t, "2026-10-02 15:45"), utc(t, "2026-10-03 15:45")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cal := every(tt.zone, iv("09:00", "17:00"))
				got, err := cal.AddBusinessDays(tt.start, 1)
				if err != nil {
					t.Fatal(err)
				}
				sameInstant(t, "result", got, tt.want.In(mustLoc(t, tt.zone)))
			})
		}
		// The gap rule as local times.
		cal := every(berlin, iv("09:00", "17:00"))
		got, _ := cal.AddBusinessDays(local(t, berlin, "2026-03-28 02:30"), 1)
		if s := got.Format("2006-01-02 15:04 MST"); s != "2026-03-29 03:30 CEST" {
			t.Errorf("Berlin gap: %s, want 2026-03-29 03:30 CEST", s)
		}
		ny := every("America/New_York", iv("09:00", "17:00"))
		got, _ = ny.AddBusinessDays(local(t, "America/New_York", "2026-03-07 02:30"), 1)
		if s := got.Format("2006-01-02 15:04 MST"); s != "2026-03-08 03:30 EDT" {
			t.Errorf("New York gap: %s, want 2026-03-08 03:30 EDT", s)
		}
	})

	t.Run("interval boundaries inside a gap or a repeated hour", func(t *testing.T) {
		// Only the part of an interval the clock actually shows counts.
		sunday := func(ivs ...Interval) *Calendar {
			return mustCompile(t, Schedule{Timezone: berlin, Weekly: week(map[string][]Interval{
				"sunday": ivs, "monday": {iv("09:00", "17:00")},
			})})
		}
		tests := []struct {
			name string
			cal  *Calendar
			from time.Time
			d    time.Duration
			want time.Time
		}{
			{"interval wholly in the gap does not exist", sunday(iv("02:15", "02:45")),
				utc(t, "2026-03-28 22:00"), 10 * time.Minute, local(t, berlin, "2026-03-30 09:10")},
			{"interval ending in the gap", sunday(iv("01:30", "02:30")),
				utc(t, "2026-03-28 22:00"), 30 * time.Minute, utc(t, "2026-03-29 01:00")},
			{"interval starting in the gap", sunday(iv("02:30", "04:00")),
				utc(t, "2026-03-28 22:00"), time.Minute, utc(t, "2026-03-29 01:01")},
			// 02:30–04:00 on the autumn day: open 02:30–03:00 summer time,
			// closed 02:00–02:30 winter time, open 02:30–04:00 winter time.
			{"repeated hour, first pass", sunday(iv("02:30", "04:00")),
				utc(t, "2026-10-24 22:00"), 30 * time.Minute, utc(t, "2026-10-25 01:00")},
			{"repeated hour, second pass", sunday(iv("02:30", "04:00")),
				utc(t, "2026-10-24 22:00"), 31 * time.Minute, utc(t, "2026-10-25 01:31")},
			{"repeated hour, whole", sunday(iv("02:30", "04:00")),
				utc(t, "2026-10-24 22:00"), 2 * time.Hour, utc(t, "2026-10-25 03:00")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := tt.cal.AddBusinessDuration(tt.from, tt.d)
				if err != nil {
					t.Fatal(err)
				}
				sameInstant(t, "result", got, tt.want.In(mustLoc(t, berlin)))
			})
		}
	})

	t.Run("local date differs from UTC date", func(t *testing.T) {
		auckland := nineToFive(t, "Pacific/Auckland") // UTC+13 in November
		la := nineToFive(t, "America/Los_Angeles")    // UTC-8 in November
		tests := []struct {
			name   string
			cal    *Calendar
			start  time.Time
			value  int
			unit   string
			want   time.Time
			openAt time.Time // an instant that must be open
		}{
			// Sunday 19:00 UTC is Monday 08:00 in Auckland.
			{"Auckland Monday morning on a UTC Sunday", auckland, utc(t, "2026-11-29 19:00"), 1, "hours", utc(t, "2026-11-29 21:00"), utc(t, "2026-11-29 20:30")},
			// Friday 16:00 NZDT is Friday 03:00 UTC.
			{"Auckland Friday afternoon", auckland, utc(t, "2026-11-27 03:00"), 4, "hours", utc(t, "2026-11-29 23:00"), utc(t, "2026-11-29 20:00")},
			{"Auckland business day", auckland, utc(t, "2026-11-27 03:00"), 1, "days", utc(t, "2026-11-30 03:00"), utc(t, "2026-11-27 03:30")},
			// Saturday 00:00 UTC is Friday 16:00 in Los Angeles.
			{"Los Angeles Friday afternoon on a UTC Saturday", la, utc(t, "2026-11-28 00:00"), 4, "hours", utc(t, "2026-11-30 20:00"), utc(t, "2026-11-28 00:30")},
			{"Los Angeles business day", la, utc(t, "2026-11-28 00:00"), 1, "days", utc(t, "2026-12-01 00:00"), utc(t, "2026-11-30 17:00")},
			{"Los Angeles minutes", la, utc(t, "2026-11-28 00:30"), 31, "minutes", utc(t, "2026-11-30 17:01"), utc(t, "2026-11-30 17:00")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := Due(tt.cal, tt.start, tt.value, tt.unit, true)
				if err != nil {
					t.Fatal(err)
				}
				sameInstant(t, "due", got, tt.want.In(tt.cal.Location()))
				if !tt.cal.IsOpen(tt.openAt) {
					t.Errorf("IsOpen(%s) = false", tt.openAt)
				}
			})
		}
		if auckland.IsOpen(utc(t, "2026-11-30 20:30")) == false { // Tue 09:30
			t.Error("Auckland Tuesday 09:30 closed")
		}
		if la.IsOpen(utc(t, "2026-11-28 01:30")) { // Fri 17:30 in Los Angeles
			t.Error("Los Angeles Friday 17:30 open")
		}
	})
}

func TestDueDurationCap(t *testing.T) {
	cal := mustCompile(t, Schedule{Timezone: "UTC", Weekly: func() map[string][]Interval {
		w := map[string][]Interval{}
		for _, d := range dayNames {
			w[d] = []Interval{iv("00:00", "24:00")}
		}
		return w
	}()})
	start := utc(t, "2026-11-27 16:00")
	limit := start.Add(MaxDuration)
	tests := []struct {
		value int
		unit  string
		ok    bool
	}{
		{43200, "minutes", true},
		{43201, "minutes", false},
		{720, "hours", true},
		{721, "hours", false},
		{720, "", true},
		{721, "", false},
		{30, "days", true},
		{31, "days", false},
		{math.MaxInt, "minutes", false},
		{math.MaxInt, "days", false},
	}
	for _, tt := range tests {
		for _, onlyBH := range []bool{false, true} {
			name := fmt.Sprintf("%d %s business=%v", tt.value, tt.unit, onlyBH)
			got, err := Due(cal, start, tt.value, tt.unit, onlyBH)
			if !tt.ok {
				if !errors.Is(err, ErrInvalidDuration) {
					t.Errorf("%s: err = %v, want ErrInvalidDuration", name, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			// Open around the clock, so business time is elapsed time.
			if !got.Equal(limit) {
				t.Errorf("%s: %s, want %s", name, got, limit)
			}
		}
	}
	if MaxDuration != 43200*time.Minute {
		t.Errorf("MaxDuration = %s", MaxDuration)
	}
}

func TestDueInvalid(t *testing.T) {
	cal := nineToFive(t, berlin)
	start := local(t, berlin, "2026-11-27 16:00")
	tests := []struct {
		name  string
		cal   *Calendar
		value int
		unit  string
		bh    bool
	}{
		{"zero", cal, 0, "hours", true},
		{"negative", cal, -5, "minutes", false},
		{"unknown unit", cal, 1, "weeks", true},
		{"singular unit", cal, 1, "hour", false},
		{"upper case unit", cal, 1, "Hours", false},
	}
	for _, tt := range tests {
		if _, err := Due(tt.cal, start, tt.value, tt.unit, tt.bh); !errors.Is(err, ErrInvalidDuration) {
			t.Errorf("%s: err = %v, want ErrInvalidDuration", tt.name, err)
		}
	}
	if _, err := Due(nil, start, 1, "hours", true); err == nil {
		t.Error("Due with business hours and no calendar: no error")
	}
	if _, err := cal.AddBusinessDuration(start, -time.Second); !errors.Is(err, ErrInvalidDuration) {
		t.Errorf("negative duration: %v", err)
	}
	if _, err := cal.AddBusinessDays(start, -1); !errors.Is(err, ErrInvalidDuration) {
		t.Errorf("negative days: %v", err)
	}
	far := time.Date(10000, 1, 5, 0, 0, 0, 0, time.UTC)
	if _, err := cal.AddBusinessDuration(far, time.Hour); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("year 10000: %v", err)
	}
	if _, err := cal.AddBusinessDays(far, 1); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("year 10000: %v", err)
	}
	// The first supported year works.
	if _, err := cal.AddBusinessDuration(time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), time.Hour); err != nil {
		t.Errorf("year 1: %v", err)
	}
}

// TestPathologicalCalendar: closed dates cover every business day of the
// search horizon; every call returns ErrNoBusinessTime promptly.
func TestPathologicalCalendar(t *testing.T) {
	first := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var closed []string
	for i := 0; i < MaxClosedDates; i++ {
		closed = append(closed, first.AddDate(0, 0, i).Format("2006-01-02"))
	}
	cal := nineToFive(t, berlin, closed...)
	start := local(t, berlin, "2026-11-27 16:00")
	began := time.Now()
	if _, err := cal.AddBusinessDuration(start, time.Minute); !errors.Is(err, ErrNoBusinessTime) {
		t.Errorf("AddBusinessDuration: %v", err)
	}
	if _, err := cal.AddBusinessDuration(start, 0); !errors.Is(err, ErrNoBusinessTime) {
		t.Errorf("AddBusinessDuration(0): %v", err)
	}
	if _, err := cal.AddBusinessDays(start, 1); !errors.Is(err, ErrNoBusinessTime) {
		t.Errorf("AddBusinessDays: %v", err)
	}
	for _, unit := range []string{"minutes", "hours", "days"} {
		if _, err := Due(cal, start, 1, unit, true); !errors.Is(err, ErrNoBusinessTime) {
			t.Errorf("Due %s: %v", unit, err)
		}
	}
	if cal.IsOpen(local(t, berlin, "2026-11-30 10:00")) {
		t.Error("IsOpen on a closed Monday")
	}
	if elapsed := time.Since(began); elapsed > 5*time.Second {
		t.Errorf("took %s", elapsed)
	}
	// After the closed dates end, business resumes.
	after := first.AddDate(0, 0, MaxClosedDates)
	got, err := cal.AddBusinessDuration(after.AddDate(0, 0, -3), time.Hour)
	if err != nil || got.Before(after) {
		t.Errorf("after the closures: %s, %v", got, err)
	}

	// A schedule too sparse to reach its answer within the horizon also
	// gives up rather than scanning on.
	sparse := mustCompile(t, Schedule{Timezone: "UTC", Weekly: week(map[string][]Interval{"monday": {iv("09:00", "09:01")}})})
	if _, err := sparse.AddBusinessDuration(start, 4*time.Hour); !errors.Is(err, ErrNoBusinessTime) {
		t.Errorf("sparse: %v", err)
	}
	got, err = sparse.AddBusinessDuration(utc(t, "2026-11-30 09:00"), 3*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sameInstant(t, "sparse, three Mondays", got, utc(t, "2026-12-14 09:01"))
}

// naiveOpen is an independent reading of the rule: open when the local date
// is not closed and the local clock is inside one of the weekday's
// intervals.
func naiveOpen(s Schedule, loc *time.Location, t time.Time) bool {
	lt := t.In(loc)
	date := lt.Format("2006-01-02")
	for _, d := range s.ClosedDates {
		if d == date {
			return false
		}
	}
	clock := lt.Format("15:04")
	for _, iv := range s.Weekly[strings.ToLower(lt.Weekday().String())] {
		if clock >= iv.Start && clock < iv.End {
			return true
		}
	}
	return false
}

func randomSchedule(r *rand.Rand, zone string, from time.Time) Schedule {
	s := Schedule{Timezone: zone, Weekly: map[string][]Interval{}}
	for _, d := range dayNames {
		if r.IntN(4) == 0 {
			continue // closed weekday
		}
		// Cut points on a 15-minute grid (plus a few odd minutes) paired
		// into sorted, non-overlapping intervals.
		n := 2 * (1 + r.IntN(3))
		seen := map[int]bool{}
		var cuts []int
		for len(cuts) < n {
			m := r.IntN(97) * 15
			if r.IntN(5) == 0 {
				m = r.IntN(1441)
			}
			if !seen[m] {
				seen[m] = true
				cuts = append(cuts, m)
			}
		}
		for i := range cuts {
			for j := i + 1; j < len(cuts); j++ {
				if cuts[j] < cuts[i] {
					cuts[i], cuts[j] = cuts[j], cuts[i]
				}
			}
		}
		for i := 0; i < n; i += 2 {
			s.Weekly[d] = append(s.Weekly[d], iv(formatClock(cuts[i]), formatClock(cuts[i+1])))
		}
	}
	if len(s.Weekly) == 0 {
		s.Weekly["wednesday"] = []Interval{iv("10:00", "11:00")}
	}
	for i := r.IntN(4); i > 0; i-- {
		s.ClosedDates = append(s.ClosedDates, from.AddDate(0, 0, r.IntN(20)).Format("2006-01-02"))
	}
	return s
}

// TestAgainstMinuteSimulation compares AddBusinessDuration and IsOpen with a
// minute-by-minute simulation of naiveOpen, for random schedules in zones
// with daylight saving (including 30-minute changes and changes at
// midnight), around their changes.
func TestAgainstMinuteSimulation(t *testing.T) {
	zones := []string{berlin, "America/New_York", "Pacific/Auckland", "America/Los_Angeles",
		"Australia/Lord_Howe", "America/Santiago", "America/Havana", "Asia/Kathmandu", "UTC"}
	r := rand.New(rand.NewPCG(1, 2))
	trials := 400
	if testing.Short() {
		trials = 60
	}
	for trial := 0; trial < trials; trial++ {
		zone := zones[trial%len(zones)]
		loc := mustLoc(t, zone)
		// A start near a daylight-saving change of 2026 (or anywhere).
		base := time.Date(2026, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		if _, end := base.In(loc).ZoneBounds(); !end.IsZero() && r.IntN(4) != 0 {
			base = end.Add(-time.Duration(r.IntN(4*24*60)) * time.Minute)
		}
		start := base.Truncate(time.Minute).Add(time.Duration(r.IntN(24*60)) * time.Minute)
		s := randomSchedule(r, zone, start.AddDate(0, 0, -2))
		cal := mustCompile(t, s)
		minutes := 1 + r.IntN(3000)

		var want time.Time
		count := 0
		for m := start; m.Before(start.AddDate(0, 0, 40)); m = m.Add(time.Minute) {
			open := naiveOpen(s, loc, m)
			if open != cal.IsOpen(m) {
				t.Fatalf("%s %v: IsOpen(%s) = %v, simulation says %v", zone, s, m.In(loc), !open, open)
			}
			if open {
				count++
				if count == minutes {
					want = m.Add(time.Minute)
					break
				}
			}
		}
		got, err := cal.AddBusinessDuration(start, time.Duration(minutes)*time.Minute)
		if want.IsZero() {
			if err == nil && got.Before(start.AddDate(0, 0, 40)) {
				t.Fatalf("%s %v: %s + %d min = %s, simulation found no answer within 40 days", zone, s, start.In(loc), minutes, got.In(loc))
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %v: %s + %d min: %v", zone, s, start.In(loc), minutes, err)
		}
		if !got.Equal(want) {
			t.Fatalf("%s %v: %s + %d min = %s, simulation says %s", zone, s, start.In(loc), minutes, got.In(loc), want.In(loc))
		}
	}
}

// TestResolveAgainstScan checks the local-time resolution used by
// AddBusinessDays against a scan of every minute of each 2026 day, in
// zones with daylight saving.
func TestResolveAgainstScan(t *testing.T) {
	zones := []string{berlin, "America/New_York", "Pacific/Auckland", "Australia/Lord_Howe", "America/Santiago"}
	for _, zone := range zones {
		cal := mustCompile(t, Schedule{Timezone: zone, Weekly: week(map[string][]Interval{"monday": {iv("09:00", "17:00")}})})
		loc := cal.Location()
		// Days with a change: scan the transition days of 2026.
		for x := time.Date(2026, 1, 1, 0, 0, 0, 0, loc); x.Year() == 2026; {
			_, end := x.ZoneBounds()
			if end.IsZero() || end.Year() != 2026 {
				break
			}
			day, _ := cal.wall(end)
			for d := day - 1; d <= day+1; d++ {
				for sec := int64(0); sec < secondsPerDay; sec += 60 {
					w := d*secondsPerDay + sec
					got := cal.resolve(w, 0)
					// Earliest instant whose wall clock is w, reading w with
					// the offset before or after the change; in a gap, w read
					// with the offset before the change.
					_, before := end.Add(-time.Second).Zone()
					_, after := end.Zone()
					var want time.Time
					for _, o := range []int{before, after} {
						u := time.Unix(w-int64(o), 0)
						if _, uo := u.In(loc).Zone(); uo == o && (want.IsZero() || u.Before(want)) {
							want = u
						}
					}
					if want.IsZero() {
						want = time.Unix(w-int64(before), 0)
					}
					if !got.Equal(want) {
						t.Fatalf("%s: resolve(%s) = %s, want %s", zone, time.Unix(w, 0).UTC().Format("2006-01-02 15:04"), got, want.In(loc))
					}
				}
			}
			x = end
		}
	}
}
