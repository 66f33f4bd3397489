package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// chaosKills is how many times TestChaosPostgres kills a node.
const chaosKills = 30

// TestChaosPostgres runs three nodes on one PostgreSQL under a steady load
// of new tickets, SIGKILLs a random node every two seconds and starts it
// again (chaosKills times), and in between terminates every node's
// database connections. Then it checks that nothing was lost or doubled:
// every ticket has exactly one run of the intake workflow and it finished,
// the intake note is there once, the webhook step was delivered under one
// webhook-id, no-reply timers fired at most once per ticket, and an
// approval decided on three nodes at once was decided once.
func TestChaosPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos test runs for about three minutes")
	}
	dbURL := withApplicationName(t, storagetest.PostgresURL(t), fmt.Sprintf("deskflow-chaos-%d", rand.Int64()))

	var (
		mu       sync.Mutex
		hookIDs  = map[string]map[string]bool{} // ticket id → webhook-ids delivered
		hookHits atomic.Int64
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Ticket string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		if hookIDs[body.Ticket] == nil {
			hookIDs[body.Ticket] = map[string]bool{}
		}
		hookIDs[body.Ticket][r.Header.Get("webhook-id")] = true
		mu.Unlock()
		hookHits.Add(1)
		time.Sleep(50 * time.Millisecond) // keep deliveries in flight at the kills
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()

	flags := []string{"--rescue-after", "11s", "--outbound-allow", "127.0.0.1/32", "--rate-limit", "0"}
	nodes := []*served{startServe(t, dbURL, flags...)}
	token := nodes[0].waitToken(t)
	for range 2 {
		nodes = append(nodes, startServe(t, dbURL, flags...))
	}
	var nodesMu sync.Mutex
	live := func() []string {
		nodesMu.Lock()
		defer nodesMu.Unlock()
		var addrs []string
		for _, n := range nodes {
			if n != nil {
				addrs = append(addrs, "http://"+n.addr)
			}
		}
		return addrs
	}
	api := &chaosClient{token: token}
	c := &client{t: t, base: live()[0], token: token}

	seen := c.id(c.must("POST", "/api/tags", map[string]any{"name": "seen"}, 201))
	vip := c.id(c.must("POST", "/api/tags", map[string]any{"name": "vip"}, 201))
	c.must("POST", "/api/workflows", map[string]any{
		"name": "Intake", "trigger_type": "on_new_ticket",
		"actions": []any{
			// Short timeouts: a path job whose node died is taken over
			// once it is older than its timeout (the sum of its steps')
			// and --rescue-after.
			map[string]any{"type": "add_tags", "parameters": map[string]any{"tags": []any{seen}, "timeout": 2000}},
			map[string]any{"type": "set_status", "parameters": map[string]any{"status": "open", "timeout": 2000}},
			map[string]any{"type": "add_internal_note", "parameters": map[string]any{"content": "intake {{ticket.id}}", "timeout": 2000}},
			map[string]any{"type": "send_webhook", "parameters": map[string]any{"url": hook.URL + "/hook", "body": `{"ticket": "{{ticket.id}}"}`, "timeout": 3000}},
		},
	}, 201)
	c.must("POST", "/api/workflows", map[string]any{
		"name": "VIP", "trigger_type": "on_tag_added", "trigger_parameters": map[string]any{"tags": []any{vip}},
		"actions": []any{
			map[string]any{"type": "add_internal_note", "parameters": map[string]any{"content": "vip {{ticket.id}}", "requireApproval": true, "timeout": 2000}},
		},
	}, 201)
	noReply := c.id(c.must("POST", "/api/workflows", map[string]any{
		"name": "Nudge", "trigger_type": "on_no_reply", "trigger_parameters": map[string]any{"value": 1, "unit": "minutes"},
		"actions": []any{
			map[string]any{"type": "add_internal_note", "parameters": map[string]any{"content": "nudge {{ticket.id}}", "timeout": 2000}},
		},
	}, 201))

	// Load: new tickets, every tenth tagged vip, sent round-robin to the
	// nodes alive; a request that fails because its node died is not
	// retried (it may or may not have been accepted: the checks below
	// read every ticket the database has).
	ctx, stopLoad := context.WithCancel(context.Background())
	var (
		loadWG   sync.WaitGroup
		accepted atomic.Int64
		refused  atomic.Int64
	)
	loadWG.Add(1)
	go func() {
		defer loadWG.Done()
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			addrs := live()
			base := addrs[i%len(addrs)]
			status, tk, err := api.call(base, "POST", "/api/tickets", map[string]any{
				"subject": fmt.Sprint("chaos ", i), "body": "help",
				"contact": map[string]any{"email": fmt.Sprintf("c%d@example.com", i%50)},
			})
			if err != nil || status != 201 {
				refused.Add(1)
				continue
			}
			accepted.Add(1)
			if i%10 == 0 {
				id := tk["data"].(map[string]any)["id"].(string)
				_, _, _ = api.call(base, "POST", "/api/tickets/"+id+"/tags", map[string]any{"tags": []any{vip}})
			}
		}
	}()

	// The test's own connection to the nodes' schema, under another
	// application name than theirs.
	conn, err := pgx.Connect(context.Background(), withApplicationName(t, dbURL, "deskflow-chaos-check"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	appName := applicationName(t, dbURL)
	terminated := 0
	for kill := 1; kill <= chaosKills; kill++ {
		time.Sleep(2 * time.Second)
		i := rand.IntN(len(nodes))
		nodesMu.Lock()
		victim := nodes[i]
		nodes[i] = nil
		nodesMu.Unlock()
		_ = victim.cmd.Process.Signal(syscall.SIGKILL)
		_, _ = victim.cmd.Process.Wait()
		restarted := startServe(t, dbURL, flags...)
		nodesMu.Lock()
		nodes[i] = restarted
		nodesMu.Unlock()
		if kill%5 == 0 {
			var n int
			if err := conn.QueryRow(context.Background(),
				`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, appName).Scan(&n); err != nil {
				t.Fatal(err)
			}
			terminated += n
		}
	}
	stopLoad()
	loadWG.Wait()
	// A request that uses a connection the database has just terminated
	// fails (500) and the pool drops that connection; pgx pings a
	// connection idle for more than a second before lending it, so after
	// this pause the checks below get live ones.
	time.Sleep(2 * time.Second)
	t.Logf("load: %d tickets accepted, %d requests failed at kills; %d kills, %d database connections terminated", accepted.Load(), refused.Load(), chaosKills, terminated)
	if accepted.Load() < 100 {
		t.Fatalf("only %d tickets accepted under chaos", accepted.Load())
	}

	// No more timers from now on (they fired during the kills); once no
	// event waits and only runs waiting for approval are open, every
	// approval there will be is pending.
	c.base = live()[0]
	c.must("PUT", "/api/workflows/"+noReply, map[string]any{"is_enabled": false}, 200)
	settle(t, conn, `SELECT (SELECT count(*) FROM event_queue) + (SELECT count(*) FROM workflow_runs WHERE status = 'running')`)

	// Every approval decided on all three nodes at once: exactly one wins.
	approvals := 0
	decidedTwice := 0
	for _, a := range c.pages("/api/approvals?status=pending") {
		id := a["id"].(string)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for _, base := range live() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status, _, err := api.call(base, "POST", "/api/approvals/"+id+"/approve", nil); err == nil && status == 200 {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		approvals++
		if wins.Load() != 1 {
			decidedTwice++
			t.Errorf("approval %s: approved %d times on three nodes at once, want exactly once", id, wins.Load())
		}
	}
	if approvals == 0 {
		t.Fatalf("no approval was pending")
	}

	// Every run finishes.
	settle(t, conn, `SELECT count(*) FROM workflow_runs WHERE status NOT IN ('succeeded', 'failed')`)
	// The checks read the database: one query each over every ticket, the
	// ones whose creation answer was lost at a kill included.
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	tickets := count(`SELECT count(*) FROM tickets`)
	lost := count(`SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM workflow_runs r WHERE r.ticket_id = t.id AND r.workflow_name = 'Intake')`)
	doubled := count(`SELECT count(*) FROM (SELECT ticket_id FROM workflow_runs WHERE workflow_name = 'Intake' GROUP BY ticket_id HAVING count(*) > 1) d`)
	failed := count(`SELECT count(*) FROM workflow_runs WHERE status <> 'succeeded'`)
	notesTwice := count(`SELECT count(*) FROM (SELECT ticket_id, body FROM messages WHERE direction = 'note' GROUP BY ticket_id, body HAVING count(*) > 1) d`)
	noIntakeNote := count(`SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'note' AND m.body = 'intake ' || t.id)`)
	timersFired := count(`SELECT count(*) FROM workflow_runs WHERE workflow_name = 'Nudge'`)
	timersTwice := count(`SELECT count(*) FROM (SELECT ticket_id FROM workflow_runs WHERE workflow_name = 'Nudge' GROUP BY ticket_id HAVING count(*) > 1) d`)
	vipNotes := count(`SELECT count(*) FROM messages WHERE direction = 'note' AND body LIKE 'vip %'`)
	hooksWrong := 0
	rows, err := conn.Query(context.Background(), `SELECT id FROM tickets`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	for _, id := range ids {
		if n := len(hookIDs[id]); n != 1 {
			hooksWrong++
			t.Errorf("ticket %s: webhook delivered under %d webhook-ids, want 1", id, n)
		}
	}
	mu.Unlock()
	t.Logf("checked %d tickets: %d lost, %d doubled, %d runs not succeeded, %d notes twice, %d intake notes missing, %d webhook steps under several ids (%d deliveries), %d no-reply timers fired (%d twice), %d approvals (%d decided twice, %d approved notes)",
		tickets, lost, doubled, failed, notesTwice, noIntakeNote, hooksWrong, hookHits.Load(), timersFired, timersTwice, approvals, decidedTwice, vipNotes)
	if failed > 0 {
		rows, err := conn.Query(context.Background(), `SELECT r.id, r.workflow_name, r.status, s.action_type, s.status, s.error FROM workflow_runs r JOIN run_steps s ON s.run_id = r.id WHERE r.status <> 'succeeded' AND s.status <> 'succeeded' LIMIT 20`)
		if err == nil {
			for rows.Next() {
				var run, workflow, status, action, stepStatus, stepError string
				_ = rows.Scan(&run, &workflow, &status, &action, &stepStatus, &stepError)
				t.Logf("run %s of %s %s: step %s %s: %s", run, workflow, status, action, stepStatus, stepError)
			}
			rows.Close()
		}
	}
	if lost+doubled+failed+notesTwice+noIntakeNote+timersTwice > 0 {
		t.Errorf("lost or doubled work under chaos (see the counts above)")
	}
	if vipNotes != approvals {
		t.Errorf("%d approved notes for %d approvals", vipNotes, approvals)
	}
	if tickets < int(accepted.Load()) {
		t.Errorf("%d tickets stored, %d accepted", tickets, accepted.Load())
	}
	if timersFired == 0 {
		t.Errorf("no no-reply timer fired during the test (workflow %s): the timer check proved nothing", noReply)
	}
}

// settle waits until the count query answers 0, for at most two minutes.
func settle(t *testing.T, conn *pgx.Conn, count string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var n int
		if err := conn.QueryRow(context.Background(), count).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("still %d after two minutes: %s", n, count)
			dump(t, conn, `SELECT seq, event_id, attempts, available_at, last_error FROM event_queue ORDER BY seq LIMIT 10`)
			dump(t, conn, `SELECT r.id, r.workflow_name, s.position, s.action_type, s.status, s.attempts, s.error FROM workflow_runs r JOIN run_steps s ON s.run_id = r.id WHERE r.status = 'running' ORDER BY r.id, s.position LIMIT 20`)
			dump(t, conn, `SELECT id, kind, state, attempt, errors::text, scheduled_at, attempted_by FROM river_job WHERE state <> 'completed' LIMIT 10`)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// dump logs the rows of a diagnostic query.
func dump(t *testing.T, conn *pgx.Conn, query string) {
	t.Helper()
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Logf("%s: %v", query, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		values, _ := rows.Values()
		t.Logf("%v", values)
	}
}

// chaosClient calls any node, reporting failures instead of failing the
// test: nodes die under it.
type chaosClient struct{ token string }

func (c *chaosClient) call(base, method, path string, body any) (int, map[string]any, error) {
	var buf bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&buf).Encode(body)
	}
	req, err := http.NewRequest(method, base+path, &buf)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Workspace-Id", "1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	cl := http.Client{Timeout: 10 * time.Second}
	res, err := cl.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, nil
}

// must calls the API and fails the test unless it answers want.
func (c *client) must(method, path string, body any, want int) map[string]any {
	c.t.Helper()
	status, out := c.call(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: %d %v", method, path, status, out)
	}
	return out
}

// id is the id of the object an answer holds.
func (c *client) id(answer map[string]any) string {
	return answer["data"].(map[string]any)["id"].(string)
}

// pages reads every page of a list.
func (c *client) pages(path string) []map[string]any {
	c.t.Helper()
	sep := "?"
	if u, err := url.Parse(path); err == nil && u.RawQuery != "" {
		sep = "&"
	}
	var all []map[string]any
	for page := 1; ; page++ {
		status, out := c.call("GET", fmt.Sprintf("%s%spage=%d&per_page=200", path, sep, page), nil)
		if status != 200 {
			c.t.Fatalf("GET %s: %d %v", path, status, out)
		}
		list, _ := out["data"].([]any)
		for _, item := range list {
			all = append(all, item.(map[string]any))
		}
		meta, _ := out["meta"].(map[string]any)
		if last, ok := meta["last_page"].(float64); !ok || float64(page) >= last {
			return all
		}
	}
}

// withApplicationName names the connections of a database URL, so that the
// test can terminate those and no other test's.
func withApplicationName(t *testing.T, dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func applicationName(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("application_name")
}
