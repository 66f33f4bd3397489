package businesshours

import (
	"errors"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/validate"
)

// fuzzZones mixes ordinary zones with odd ones: 30- and 45-minute offsets
// and changes, changes at midnight, a skipped day (Apia, December 2011),
// a two-hour change (Troll) and Ramadan suspensions (Casablanca).
var fuzzZones = [...]string{
	"UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "America/Los_Angeles",
	"Australia/Lord_Howe", "America/Santiago", "Pacific/Apia", "Asia/Kathmandu", "Antarctica/Troll",
	"Africa/Casablanca", "America/St_Johns", "Asia/Tehran", "Pacific/Chatham", "America/Havana",
	"Europe/Dublin", "Pacific/Kiritimati", "Etc/GMT+12",
}

// scheduleFromBytes builds a schedule from fuzz input: a zone, up to four
// intervals per weekday (mostly valid, sometimes garbage) and closed dates
// near start.
func scheduleFromBytes(b []byte, start time.Time) Schedule {
	next := func() int {
		if len(b) == 0 {
			return 0
		}
		v := int(b[0])
		b = b[1:]
		return v
	}
	s := Schedule{Timezone: fuzzZones[next()%len(fuzzZones)], Weekly: map[string][]Interval{}}
	for _, d := range dayNames {
		n := next() % 5
		cur := 0
		for i := 0; i < n; i++ {
			if next() == 255 { // garbage, to exercise validation
				s.Weekly[d] = append(s.Weekly[d], Interval{Start: string(rune(next())), End: formatClock(next())})
				continue
			}
			startMin := cur + (next()<<8|next())%721
			endMin := startMin + 1 + (next()<<8|next())%1440
			if startMin >= minutesPerDay {
				break
			}
			endMin = min(endMin, minutesPerDay)
			s.Weekly[d] = append(s.Weekly[d], iv(formatClock(startMin), formatClock(endMin)))
			cur = endMin
		}
	}
	for n := next() % 12; n > 0; n-- {
		s.ClosedDates = append(s.ClosedDates, start.AddDate(0, 0, next()-20).Format("2006-01-02"))
	}
	return s
}

// fuzzRange maps any int64 to a unix second in [1900, 2200).
func fuzzRange(x int64) int64 {
	lo := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	m := x % (hi - lo)
	if m < 0 {
		m += hi - lo
	}
	return lo + m
}

func FuzzAddBusinessDuration(f *testing.F) {
	fri := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC).Unix()
	f.Add(fri, uint32(0), int64(4*time.Hour), uint16(30000), []byte{1, 0, 0})
	f.Add(time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC).Unix(), uint32(5), int64(90*time.Minute), uint16(1), []byte{1, 1, 0, 60, 0, 240})
	f.Add(time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC).Unix(), uint32(999999999), int64(MaxDuration), uint16(65535), []byte{2, 4, 1, 0, 1, 0, 255, 9, 9})
	f.Add(time.Date(2011, 12, 29, 12, 0, 0, 0, time.UTC).Unix(), uint32(0), int64(-1), uint16(7), []byte{7, 3, 0, 0, 0, 10, 3, 0, 0, 0, 10})
	f.Add(int64(0), uint32(0), int64(0), uint16(0), []byte{})
	f.Fuzz(func(t *testing.T, startUnix int64, nanos uint32, dur int64, split uint16, sched []byte) {
		start := time.Unix(fuzzRange(startUnix), int64(nanos%1e9))
		s := scheduleFromBytes(sched, start)
		cal, err := s.Compile()
		if err != nil {
			if _, ok := validate.As(err); !ok {
				t.Fatalf("Compile(%+v): %v is not a validation error", s, err)
			}
			return
		}
		d := time.Duration(uint64(dur) % uint64(MaxDuration+1))
		r, err := cal.AddBusinessDuration(start, d)
		if err != nil {
			if !errors.Is(err, ErrNoBusinessTime) {
				t.Fatalf("%+v: %s + %s: unexpected error %v", s, start, d, err)
			}
			return
		}
		if r.Before(start) {
			t.Fatalf("%+v: %s + %s = %s, before the start", s, start, d, r)
		}
		if d > 0 {
			if !r.After(start) {
				t.Fatalf("%+v: %s + %s = %s, not after the start", s, start, d, r)
			}
			if !cal.IsOpen(r) && !cal.IsOpen(r.Add(-time.Nanosecond)) {
				t.Fatalf("%+v: %s + %s = %s, neither open nor a closing time", s, start, d, r.In(cal.Location()))
			}
		} else if !cal.IsOpen(r) {
			t.Fatalf("%+v: %s + 0 = %s, not open", s, start, r.In(cal.Location()))
		}
		// Adding in two steps gives the same answer.
		d1 := d / 65535 * time.Duration(split)
		if d2 := d - d1; d1 > 0 && d2 > 0 {
			r1, err1 := cal.AddBusinessDuration(start, d1)
			if err1 == nil {
				r2, err2 := cal.AddBusinessDuration(r1, d2)
				if err2 == nil && !r2.Equal(r) {
					t.Fatalf("%+v: %s + %s = %s, but + %s + %s = %s", s, start, d, r, d1, d2, r2)
				}
			}
		}
		// Business days: after the start, on a business day.
		n := int(split % 31)
		rd, err := cal.AddBusinessDays(start, n)
		if err != nil {
			if !errors.Is(err, ErrNoBusinessTime) {
				t.Fatalf("%+v: %s + %d days: unexpected error %v", s, start, n, err)
			}
			return
		}
		if n == 0 {
			if !rd.Equal(start) {
				t.Fatalf("%s + 0 days = %s", start, rd)
			}
			return
		}
		if !rd.After(start) {
			t.Fatalf("%+v: %s + %d days = %s, not after the start", s, start, n, rd)
		}
		_, startSec := cal.wall(start)
		day, sec := cal.wall(rd)
		if sec == startSec && len(cal.spans(day)) == 0 {
			t.Fatalf("%+v: %s + %d days = %s, not a business day", s, start, n, rd.In(cal.Location()))
		}
	})
}
