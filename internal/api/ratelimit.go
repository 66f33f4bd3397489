package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit is how many requests one API token may make: Rate per second
// on average, in bursts of up to Burst. A zero Rate means no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

// DefaultRateLimit suits interactive use and integrations alike.
var DefaultRateLimit = RateLimit{Rate: 50, Burst: 200}

// limiter is a token bucket per API token, in memory on each node.
type limiter struct {
	limit   RateLimit
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory; past it, idle buckets are dropped.
const maxBuckets = 100_000

func newLimiter(l RateLimit, now func() time.Time) *limiter {
	return &limiter{limit: l, now: now, buckets: map[string]*bucket{}}
}

// allow takes one request from key's bucket; when empty it returns how long
// to wait.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l == nil || l.limit.Rate <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.evictIdle(now)
		}
		b = &bucket{tokens: float64(l.limit.Burst), last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(float64(l.limit.Burst), b.tokens+now.Sub(b.last).Seconds()*l.limit.Rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.limit.Rate * float64(time.Second))
}

// evictIdle drops the buckets that have refilled completely.
func (l *limiter) evictIdle(now time.Time) {
	full := time.Duration(float64(l.limit.Burst) / l.limit.Rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
}

// tooManyRequests answers 429 with Retry-After in whole seconds.
func tooManyRequests(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(wait.Seconds(), 1)))))
	writeJSON(w, http.StatusTooManyRequests, errorBody{Message: "Too many requests: slow down and retry after the time in Retry-After."})
}
