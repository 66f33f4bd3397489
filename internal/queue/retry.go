package queue

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// maxRetryDelay caps the wait before a failed job is tried again. A job
// fails only when something below it did (the database restarting, a
// node's connections terminated): River's default, attempt⁴ seconds,
// would leave a run waiting hours after the database is back.
const maxRetryDelay = time.Minute

// jobAttempts is how often a job is tried: with delays of 1, 2, 4 … 60
// seconds, about twenty minutes of trying.
const jobAttempts = 25

// cappedRetry retries after 2^(attempt-1) seconds, at most maxRetryDelay,
// with ±10% jitter so that jobs failed together do not retry together.
type cappedRetry struct{}

func (cappedRetry) NextRetry(job *rivertype.JobRow) time.Time {
	delay := maxRetryDelay
	if n := max(job.Attempt-1, 0); n < 6 {
		delay = min(time.Duration(1<<n)*time.Second, maxRetryDelay)
	}
	jitter := time.Duration((rand.Float64()*0.2 - 0.1) * float64(delay))
	return time.Now().Add(delay + jitter)
}
