package queue

import (
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// Failed jobs are retried after 1, 2, 4 … seconds, never more than a
// minute, within ±10%.
func TestCappedRetry(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 6: 32 * time.Second, 7: time.Minute, 25: time.Minute} {
		for range 20 {
			got := time.Until(cappedRetry{}.NextRetry(&rivertype.JobRow{Attempt: attempt}))
			if got < want*89/100 || got > want*111/100 {
				t.Errorf("attempt %d: retry in %v, want %v ± 10%%", attempt, got, want)
			}
		}
	}
}
