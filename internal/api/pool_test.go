package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentWritesOnASmallPool: many concurrent requests whose
// transactions read workflows and business hours (an on_no_reply workflow
// arms timers for every new ticket) complete on a PostgreSQL pool of two
// connections: no transaction ever waits for a second connection.
func TestConcurrentWritesOnASmallPool(t *testing.T) {
	for _, b := range storagetestBackends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			if strings.HasPrefix(url, "postgres") {
				url += "&pool_max_conns=2"
			}
			e := newEnv(t, url)
			e.create("/api/workflows", noReplyWorkflow(2, "hours", true))
			var wg sync.WaitGroup
			errs := make(chan string, 64)
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < 4; i++ {
						r := e.asAdmin("POST", "/api/tickets", map[string]any{"subject": "s", "body": "b", "contact": map[string]any{"email": fmt.Sprintf("c%d-%d@example.com", w, i)}})
						if r.Status != 201 {
							errs <- fmt.Sprintf("%d %s", r.Status, r.Raw)
						}
					}
				}(w)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			e.settle("")
			if n := len(e.must(200, e.asAdmin("GET", "/api/tickets?per_page=100", nil)).list()); n != 64 {
				t.Errorf("%d tickets", n)
			}
		})
	}
}
