// Package retry holds the small pieces every integration's retry loop
// shares: reading Retry-After, the time left before a step's deadline,
// exponential backoff, and a sleep that a context cancels.
package retry

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps absurd Retry-After values.
const maxRetryAfter = 24 * time.Hour

// After reads a Retry-After header: delay-seconds or an HTTP date.
func After(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return min(time.Duration(n)*time.Second, maxRetryAfter), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), maxRetryAfter), true
	}
	return 0, false
}

// TimeLeft is the time until ctx's deadline; ok is false without one.
func TimeLeft(ctx context.Context) (time.Duration, bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return time.Until(dl), true
}

// Backoff is the wait after the attempt-th failed attempt: base doubled
// each time.
func Backoff(base time.Duration, attempt int) time.Duration {
	return base << (attempt - 1)
}

// Sleep waits d, or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
