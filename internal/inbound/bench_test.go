package inbound_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/api"
	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/inbound"
	"github.com/deskflow/deskflow/internal/inbound/imaptest"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// typical is a typical 20 KiB customer email: a multipart/alternative
// reply with quoted text and its HTML twin. Every second one answers the
// one before (threaded by In-Reply-To).
func typical(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Customer %d <customer%d@example.com>\r\nTo: support@acme.test\r\nSubject: Order %d question\r\nMessage-ID: <m%d@example.com>\r\n", i%500, i%500, i/2, i)
	if i%2 == 1 {
		fmt.Fprintf(&b, "In-Reply-To: <m%d@example.com>\r\nReferences: <m%d@example.com>\r\n", i-1, i-1)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	line := "Hello, my order has not arrived yet and the tracking page shows nothing since Monday. > quoted\r\n"
	for b.Len() < 9<<10 {
		b.WriteString(line)
	}
	b.WriteString("--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<div>")
	for b.Len() < 19<<10 {
		b.WriteString("<p>" + line + "</p>")
	}
	b.WriteString("</div>\r\n--b--\r\n")
	return b.Bytes()
}

// BenchmarkParseImport imports typical 20 KiB emails into a SQLite
// database: parse, dedupe, thread, contact, store, events.
func BenchmarkParseImport(b *testing.B) {
	db, ws := storagetest.Open(b, storagetest.SQLiteURL(b))
	ch, err := db.SaveChannel(context.Background(), ws, helpdesk.Channel{Name: "Support", Type: helpdesk.ChannelEmail, Settings: helpdesk.ChannelSettings{Address: "support@acme.test"}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	im := &inbound.Importer{DB: db}
	msgs := make([][]byte, b.N)
	for i := range msgs {
		msgs[i] = typical(i)
	}
	b.SetBytes(int64(len(msgs[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res, err := im.Import(context.Background(), ws, ch, msgs[i]); err != nil || res.Outcome != inbound.Imported {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// BenchmarkMailbox imports a Dovecot mailbox of DESKFLOW_BENCH_MAILBOX
// (default 10,000) typical emails on SQLite with a node running: every
// message threaded and its workflows (a tag on new tickets, a note on each
// message) run. It reports messages/s from the poller's start to the last
// run's end. Run it once: go test -run '^$' -bench Mailbox -benchtime 1x.
func BenchmarkMailbox(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("DESKFLOW_BENCH_MAILBOX")); err == nil && v > 0 {
		n = v
	}
	server := imaptest.Start(b)
	// Write the mailbox directly as maildir files: the server indexes
	// them on the first look, as it does for a mailbox migrated in.
	server.Append(b, "support", "INBOX", typical(-1)) // creates the maildir
	dir := server.Maildir("support")
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, "new", fmt.Sprintf("%d.bench", i)), typical(i), 0o666); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; i++ {
		db, err := app.OpenDatabase(context.Background(), storagetest.SQLiteURL(b))
		if err != nil {
			b.Fatal(err)
		}
		workspace, err := db.CreateWorkspace(context.Background(), "bench")
		if err != nil {
			b.Fatal(err)
		}
		ws := workspace.ID
		node, err := app.New(app.Config{DB: db, RateLimit: &api.RateLimit{}, SecretKey: bytes.Repeat([]byte{7}, 32), OutboundAllow: loopback, Mail: app.MailConfig{Scan: 10 * time.Millisecond}})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(node.Handler)
		token, err := app.CreateToken(context.Background(), db, ws, "admin", "bench")
		if err != nil {
			b.Fatal(err)
		}
		call := func(path string, body any) map[string]any {
			raw, _ := json.Marshal(body)
			req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(raw))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("X-Workspace-Id", strconv.FormatInt(ws, 10))
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 201 {
				b.Fatalf("POST %s: %v %v", path, res.Status, err)
			}
			defer res.Body.Close()
			var out struct{ Data map[string]any }
			_ = json.NewDecoder(res.Body).Decode(&out)
			return out.Data
		}
		tag := call("/api/tags", map[string]any{"name": "email"})
		call("/api/workflows", map[string]any{"name": "Tag", "trigger_type": "on_new_ticket", "actions": []any{map[string]any{"type": "add_tags", "parameters": map[string]any{"tags": []any{tag["id"]}}}}})
		call("/api/workflows", map[string]any{"name": "Note", "trigger_type": "on_inbound_message", "actions": []any{map[string]any{"type": "add_internal_note", "parameters": map[string]any{"content": "From {{customer.email}}"}}}})
		b.ResetTimer()
		start := time.Now()
		channel := call("/api/channels", map[string]any{"name": "Support", "type": "email",
			"settings":    map[string]any{"address": "support@acme.test", "imap": map[string]any{"host": server.Host, "port": server.Port, "tls": "none", "username": "support", "poll_seconds": 60}},
			"credentials": map[string]any{"imap_password": imaptest.Password}})
		if err := node.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		for {
			st, err := db.ChannelStatus(context.Background(), ws, channel["id"].(string))
			if err != nil {
				b.Fatal(err)
			}
			backlog, err := node.Engine.Backlog(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if st.Imported+st.Failed+st.Duplicates >= int64(n+1) && backlog == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		tickets, total, err := db.ListTickets(context.Background(), ws, storage.Page{Number: 1, Size: 1})
		if err != nil || total != n/2+1 {
			b.Fatalf("%d tickets for %d messages (%v, %d listed)", total, n, err, len(tickets))
		}
		srv.Close()
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = node.Stop(ctx)
		cancel()
		// The next iteration reads the mailbox again: unflag it.
		server.Unsee(b, "support", "INBOX")
	}
}
