package queue

import (
	"context"
	"log/slog"
)

// routine hands River a logger whose Info records (its periodic producer
// and leader chatter) are Debug ones, so a node's log shows River only
// when something is wrong.
func routine(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return slog.New(demoted{l.Handler()})
}

type demoted struct{ h slog.Handler }

func lower(level slog.Level) slog.Level {
	if level == slog.LevelInfo {
		return slog.LevelDebug
	}
	return level
}

func (d demoted) Enabled(ctx context.Context, level slog.Level) bool {
	return d.h.Enabled(ctx, lower(level))
}

func (d demoted) Handle(ctx context.Context, r slog.Record) error {
	r.Level = lower(r.Level)
	return d.h.Handle(ctx, r)
}

func (d demoted) WithAttrs(attrs []slog.Attr) slog.Handler { return demoted{d.h.WithAttrs(attrs)} }
func (d demoted) WithGroup(name string) slog.Handler       { return demoted{d.h.WithGroup(name)} }
