package inbound

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
)

// PollerConfig configures the IMAP pollers of a node.
type PollerConfig struct {
	// Node names this node in the mailbox leases.
	Node string
	// Dial opens connections: the guarded dialer, which refuses private
	// addresses unless allow-listed.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// TLS is the base TLS configuration (tests add their CA).
	TLS *tls.Config
	// Sealer opens the channels' credentials.
	Sealer *connector.Sealer
	// Scan is how often the node looks for mailboxes to poll; default 5 s.
	Scan time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// PoisonAttempts is how often an email that fails to import is tried
	// before it is set aside (flagged, counted as failed); default 3.
	PoisonAttempts int
	// MaxMessageBytes is the largest email read from a mailbox; a larger
	// one fails to import. Default DefaultMaxMessageBytes.
	MaxMessageBytes int64
}

// FailedFlag marks the emails deskflow could not import after
// PoisonAttempts tries: they stay in the mailbox for a person to look at,
// and are not fetched again.
const FailedFlag = "$DeskflowFailed"

// attemptFlag is the keyword that counts a failed try on the message
// itself ($DeskflowAttempt1, 2 …), so the count survives restarts and is
// shared by the nodes that poll the mailbox in turn.
const attemptFlag = "$DeskflowAttempt"

// Pollers fetch the mail of every email channel that has an IMAP mailbox:
// one poller per mailbox across all nodes (a lease in the database,
// renewed while polling), looking at the mailbox every poll interval
// (waiting in IDLE in between when the server offers it), importing the
// unseen messages and then flagging them \Seen (or moving them to the
// processed folder), so nothing is imported twice, across restarts and
// nodes (and a message imported but not yet flagged when a node died is
// recognised by its Message-ID).
type Pollers struct {
	cfg      PollerConfig
	importer *Importer
	log      *slog.Logger

	mu      sync.Mutex
	running map[string]context.CancelFunc // by channel id
	wg      sync.WaitGroup
}

// NewPollers makes the pollers; Run runs them.
func NewPollers(cfg PollerConfig, importer *Importer, log *slog.Logger) *Pollers {
	if cfg.Scan <= 0 {
		cfg.Scan = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PoisonAttempts <= 0 {
		cfg.PoisonAttempts = 3
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return &Pollers{cfg: cfg, importer: importer, log: log, running: map[string]context.CancelFunc{}}
}

// Run starts and stops a poller per mailbox channel as channels come and
// go, until ctx ends.
func (p *Pollers) Run(ctx context.Context) {
	defer p.wg.Wait()
	for {
		if err := p.scan(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("list mailboxes", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(p.cfg.Scan):
		}
	}
}

func (p *Pollers) scan(ctx context.Context) error {
	refs, err := p.importer.DB.MailboxChannels(ctx)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[string]bool{}
	for _, ref := range refs {
		key := ref.Channel.ID + "|" + settingsKey(ref.Channel.Settings)
		seen[key] = true
		if _, ok := p.running[key]; ok {
			continue
		}
		pollCtx, cancel := context.WithCancel(ctx)
		p.running[key] = cancel
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.poll(pollCtx, ref)
		}()
	}
	// A channel deleted or reconfigured: its poller stops (a new one runs
	// with the new settings).
	for key, cancel := range p.running {
		if !seen[key] {
			cancel()
			delete(p.running, key)
		}
	}
	return nil
}

func settingsKey(s helpdesk.ChannelSettings) string {
	if s.IMAP == nil {
		return ""
	}
	m := s.IMAP
	return fmt.Sprintf("%s|%d|%s|%s|%s|%d|%s", m.Host, m.Port, m.TLS, m.Username, m.Folder, m.PollSeconds, m.ProcessedFolder)
}

// poll polls one mailbox while this node holds its lease.
func (p *Pollers) poll(ctx context.Context, ref storage.ChannelRef) {
	interval := time.Duration(ref.Channel.Settings.IMAP.PollSeconds) * time.Second
	if interval <= 0 {
		interval = time.Minute
	}
	defer func() {
		if err := p.importer.DB.ReleaseLease(context.WithoutCancel(ctx), ref.WorkspaceID, ref.Channel.ID, p.cfg.Node); err != nil {
			p.log.Error("release mailbox lease", "channel", ref.Channel.ID, "err", err)
		}
	}()
	for ctx.Err() == nil {
		now := p.cfg.Now()
		held, err := p.importer.DB.TakeLease(ctx, ref.WorkspaceID, ref.Channel.ID, p.cfg.Node, now, now.Add(2*interval+30*time.Second))
		if err != nil {
			p.log.Error("lease mailbox", "channel", ref.Channel.ID, "err", err)
		}
		idled := false
		if held {
			idled, err = p.session(ctx, ref, interval)
			if ctx.Err() != nil {
				return
			}
			msg := ""
			if err != nil {
				idled = false
				msg = err.Error()
				p.log.Warn("mailbox", "channel", ref.Channel.ID, "err", err)
			}
			if err := p.importer.DB.RecordPoll(context.WithoutCancel(ctx), ref.WorkspaceID, ref.Channel.ID, p.cfg.Now(), msg); err != nil {
				p.log.Error("record poll", "channel", ref.Channel.ID, "err", err)
			}
		}
		if idled && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// session connects and imports what is new; when the server offers IDLE
// it then waits there for more until the interval is over (idled).
func (p *Pollers) session(ctx context.Context, ref storage.ChannelRef, interval time.Duration) (idled bool, err error) {
	m := ref.Channel.Settings.IMAP
	c, err := p.connect(ctx, ref)
	if err != nil {
		return false, err
	}
	defer c.Logout()
	stop := context.AfterFunc(ctx, func() { _ = c.Terminate() })
	defer stop()
	if _, err := c.Select(m.Folder, false); err != nil {
		return false, fmt.Errorf("select folder %q: %w", m.Folder, err)
	}
	updates := make(chan client.Update, 64)
	c.Updates = updates
	if err := p.importNew(ctx, c, ref); err != nil {
		return false, err
	}
	p.looked(ctx, ref)
	if idle, _ := c.Support("IDLE"); !idle {
		return false, nil
	}
	// Wait in IDLE for new mail until the interval is over (then the
	// lease is renewed and the connection made anew).
	deadline := time.NewTimer(interval)
	defer deadline.Stop()
	for {
		stop := make(chan struct{})
		idled := make(chan error, 1)
		go func() { idled <- c.Idle(stop, nil) }()
		select {
		case err := <-idled:
			return true, err
		case <-ctx.Done():
			close(stop)
			<-idled
			return true, nil
		case <-deadline.C:
			close(stop)
			return true, <-idled
		case u := <-updates:
			close(stop)
			if err := <-idled; err != nil {
				return true, err
			}
			if _, isMailbox := u.(*client.MailboxUpdate); !isMailbox {
				continue
			}
			for len(updates) > 0 {
				<-updates
			}
			if err := p.importNew(ctx, c, ref); err != nil {
				return true, err
			}
			p.looked(ctx, ref)
		}
	}
}

func (p *Pollers) connect(ctx context.Context, ref storage.ChannelRef) (*client.Client, error) {
	m := ref.Channel.Settings.IMAP
	addr := net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
	sealed, err := p.importer.DB.ChannelCredentials(ctx, ref.WorkspaceID, ref.Channel.ID)
	if err != nil {
		return nil, err
	}
	creds, err := p.cfg.Sealer.Open("channel:"+ref.Channel.ID, sealed)
	if err != nil {
		return nil, fmt.Errorf("open the mailbox password: %w", err)
	}
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := p.cfg.Dial(dialCtx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	tlsConfig := &tls.Config{ServerName: m.Host, MinVersion: tls.VersionTLS12}
	if p.cfg.TLS != nil {
		tlsConfig = p.cfg.TLS.Clone()
		tlsConfig.ServerName = m.Host
	}
	if m.TLS == helpdesk.TLSImplicit {
		conn = tls.Client(conn, tlsConfig)
	}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
	c, err := client.New(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting of %s: %w", addr, err)
	}
	c.Timeout = time.Minute
	c.ErrorLog = debugLog{p.log}
	if m.TLS == helpdesk.TLSStartTLS {
		if err := c.StartTLS(tlsConfig); err != nil {
			c.Logout()
			return nil, fmt.Errorf("STARTTLS with %s: %w", addr, err)
		}
	}
	if err := c.Login(m.Username, creds["imap_password"]); err != nil {
		c.Logout()
		return nil, fmt.Errorf("log in to %s as %s: %w", addr, m.Username, err)
	}
	return c, nil
}

// importNew imports the unseen messages of the selected folder, oldest
// first, each flagged (or moved) once imported.
func (p *Pollers) importNew(ctx context.Context, c *client.Client, ref storage.ChannelRef) error {
	criteria := imap.NewSearchCriteria()
	criteria.WithoutFlags = []string{imap.SeenFlag, FailedFlag}
	uids, err := c.UidSearch(criteria)
	if err != nil {
		return fmt.Errorf("search new messages: %w", err)
	}
	const batch = 50
	for start := 0; start < len(uids) && ctx.Err() == nil; start += batch {
		set := new(imap.SeqSet)
		set.AddNum(uids[start:min(start+batch, len(uids))]...)
		section := &imap.BodySectionName{Peek: true}
		messages := make(chan *imap.Message, batch)
		fetched := make(chan error, 1)
		go func() {
			fetched <- c.UidFetch(set, []imap.FetchItem{imap.FetchUid, imap.FetchFlags, section.FetchItem()}, messages)
		}()
		var (
			uids, failed []uint32
			raws         [][]byte
			tried        = map[int][]uint32{} // failed messages by the try it was
		)
		for msg := range messages {
			body := msg.GetBody(section)
			if body == nil {
				continue
			}
			raw, err := io.ReadAll(io.LimitReader(body, p.cfg.MaxMessageBytes+1))
			if err == nil && int64(len(raw)) > p.cfg.MaxMessageBytes {
				err = fmt.Errorf("larger than %d bytes", p.cfg.MaxMessageBytes)
			}
			if err != nil {
				try := triesOf(msg.Flags) + 1
				p.log.Warn("import email", "channel", ref.Channel.ID, "uid", msg.Uid, "attempt", try, "err", err)
				if try >= p.cfg.PoisonAttempts {
					failed = append(failed, msg.Uid)
				} else {
					tried[try] = append(tried[try], msg.Uid)
				}
				continue
			}
			uids, raws = append(uids, msg.Uid), append(raws, raw)
		}
		if err := <-fetched; err != nil {
			return fmt.Errorf("fetch messages: %w", err)
		}
		// One transaction for the batch; a database failure leaves the
		// messages unflagged, to be imported at the next look.
		if len(raws) > 0 {
			if _, err := p.importer.ImportAll(ctx, ref.WorkspaceID, ref.Channel, raws); err != nil {
				return err
			}
		}
		if err := p.markDone(c, ref.Channel.Settings.IMAP, uids); err != nil {
			return err
		}
		for try, those := range tried {
			set := new(imap.SeqSet)
			set.AddNum(those...)
			if err := c.UidStore(set, imap.FormatFlagsOp(imap.AddFlags, true), []any{attemptFlag + strconv.Itoa(try)}, nil); err != nil {
				return fmt.Errorf("count a failed try: %w", err)
			}
		}
		if len(failed) > 0 {
			if err := p.importer.DB.CountIntake(ctx, ref.WorkspaceID, ref.Channel.ID, 0, 0, len(failed)); err != nil {
				return err
			}
			set := new(imap.SeqSet)
			set.AddNum(failed...)
			if err := c.UidStore(set, imap.FormatFlagsOp(imap.AddFlags, true), []any{FailedFlag}, nil); err != nil {
				return fmt.Errorf("flag failed messages: %w", err)
			}
		}
	}
	return nil
}

// looked records a successful look at the mailbox.
func (p *Pollers) looked(ctx context.Context, ref storage.ChannelRef) {
	if err := p.importer.DB.RecordPoll(ctx, ref.WorkspaceID, ref.Channel.ID, p.cfg.Now(), ""); err != nil {
		p.log.Error("record poll", "channel", ref.Channel.ID, "err", err)
	}
}

// triesOf is how many failed tries a message's keywords count. Keywords
// are case-insensitive (go-imap hands them over in lower case).
func triesOf(flags []string) int {
	most := 0
	prefix := strings.ToLower(attemptFlag)
	for _, f := range flags {
		f = strings.ToLower(f)
		if n, err := strconv.Atoi(strings.TrimPrefix(f, prefix)); err == nil && strings.HasPrefix(f, prefix) {
			most = max(most, n)
		}
	}
	return most
}

func (p *Pollers) markDone(c *client.Client, m *helpdesk.IMAPSettings, uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	set := new(imap.SeqSet)
	set.AddNum(uids...)
	if err := c.UidStore(set, imap.FormatFlagsOp(imap.AddFlags, true), []any{imap.SeenFlag}, nil); err != nil {
		return fmt.Errorf("flag imported messages seen: %w", err)
	}
	if m.ProcessedFolder != "" {
		if err := c.UidMove(set, m.ProcessedFolder); err != nil {
			return fmt.Errorf("move imported messages to %q: %w", m.ProcessedFolder, err)
		}
	}
	return nil
}

// debugLog writes go-imap's client log at debug level: it reports, among
// others, the connection closed under it when a poller stops.
type debugLog struct{ log *slog.Logger }

func (d debugLog) Printf(format string, v ...any) { d.log.Debug(fmt.Sprintf(format, v...)) }
func (d debugLog) Println(v ...any)               { d.log.Debug(fmt.Sprint(v...)) }
