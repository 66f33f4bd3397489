package api

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLimiter(RateLimit{Rate: 2, Burst: 3}, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("after the burst: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Errorf("another token was limited")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.allow("a"); !ok {
		t.Errorf("not refilled after 500ms at 2/s")
	}
	if ok, _ := (*limiter)(nil).allow("a"); !ok {
		t.Errorf("a nil limiter refused")
	}
	if ok, _ := newLimiter(RateLimit{}, time.Now).allow("a"); !ok {
		t.Errorf("a zero rate refused")
	}
	rec := httptest.NewRecorder()
	tooManyRequests(rec, 1200*time.Millisecond)
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "2" {
		t.Errorf("429 answer: %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}
