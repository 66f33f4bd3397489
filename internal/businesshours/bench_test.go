package businesshours

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchStarts are message times spread over two weeks of 2026, so that the
// benchmarks see open and closed starts, weekends and a holiday.
func benchStarts() []time.Time {
	r := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	out := make([]time.Time, 1024)
	for i := range out {
		out[i] = base.Add(time.Duration(r.Int64N(int64(14 * 24 * time.Hour))))
	}
	return out
}

func BenchmarkDueBusinessHours(b *testing.B) {
	cal := officeHours(b, berlin, []Interval{iv("09:00", "12:00"), iv("13:00", "17:00")}, "2026-11-26", "2026-12-24", "2026-12-25", "2026-12-31")
	starts := benchStarts()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := Due(cal, starts[i%len(starts)], 4, "hours", true); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkDueBusinessDays(b *testing.B) {
	cal := nineToFive(b, berlin, "2026-11-26", "2026-12-24", "2026-12-25", "2026-12-31")
	starts := benchStarts()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := Due(cal, starts[i%len(starts)], 2, "days", true); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkIsOpen(b *testing.B) {
	cal := nineToFive(b, berlin, "2026-11-26")
	starts := benchStarts()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		cal.IsOpen(starts[i%len(starts)])
		i++
	}
}
