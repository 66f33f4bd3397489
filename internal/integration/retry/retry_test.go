package retry

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestAfter(t *testing.T) {
	cases := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"999999999", maxRetryAfter, true},
		{"soon", 0, false},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0, true},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.header != "" {
			h.Set("Retry-After", c.header)
		}
		got, ok := After(h)
		if got != c.want || ok != c.ok {
			t.Errorf("%q: %v %v, want %v %v", c.header, got, ok, c.want, c.ok)
		}
	}
	h := http.Header{"Retry-After": {time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}}
	if got, ok := After(h); !ok || got < 80*time.Second || got > 90*time.Second {
		t.Errorf("HTTP date: %v %v", got, ok)
	}
}

func TestTimeLeftBackoffSleep(t *testing.T) {
	if _, ok := TimeLeft(context.Background()); ok {
		t.Errorf("a deadline without one")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if left, ok := TimeLeft(ctx); !ok || left < 59*time.Minute {
		t.Errorf("time left %v %v", left, ok)
	}
	if Backoff(500*time.Millisecond, 1) != 500*time.Millisecond || Backoff(500*time.Millisecond, 3) != 2*time.Second {
		t.Errorf("backoff")
	}
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	if err := Sleep(cancelled, time.Hour); err != context.Canceled {
		t.Errorf("sleep on a cancelled context: %v", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("sleep: %v", err)
	}
}
