package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/ai"
	"github.com/deskflow/deskflow/internal/ai/builtin"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/integration/llm"
	"github.com/deskflow/deskflow/internal/storage"
)

// AIDefault is the process-wide default language model (from the
// environment); nil means the built-in offline provider.
type AIDefault struct {
	Provider string // "openai" or "anthropic"
	BaseURL  string
	Model    string
	APIKey   string
}

// maxTrainingTickets bounds the history the built-in classifier learns from.
const maxTrainingTickets = 2000

// aiProviders resolves a step's language model.
type aiProviders struct {
	db    *storage.DB
	vault *vault
	def   *AIDefault
	svc   *action.Services
	src   *workspaceSource

	mu       sync.Mutex
	builtins map[int64]cachedBuiltin // per workspace: it caches trained models
}

type cachedBuiltin struct {
	keywords string // the settings' keywords it was built with
	p        *builtin.Provider
}

var _ action.AIProviders = (*aiProviders)(nil)

func newAIProviders(db *storage.DB, v *vault, def *AIDefault, svc *action.Services) *aiProviders {
	src := &workspaceSource{db: db}
	return &aiProviders{db: db, vault: v, def: def, svc: svc, src: src, builtins: map[int64]cachedBuiltin{}}
}

// builtinFor returns the workspace's built-in provider, rebuilt when its
// keywords change.
func (p *aiProviders) builtinFor(ws int64, s helpdesk.AISettings) *builtin.Provider {
	kw, _ := json.Marshal(s.Keywords)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.builtins[ws]; ok && c.keywords == string(kw) {
		return c.p
	}
	if len(p.builtins) > 10_000 {
		p.builtins = map[int64]cachedBuiltin{}
	}
	prov := builtin.New(p.src, builtin.Options{Keywords: s.Keywords})
	p.builtins[ws] = cachedBuiltin{keywords: string(kw), p: prov}
	return prov
}

func (p *aiProviders) Settings(ctx context.Context, ws int64) (helpdesk.AISettings, error) {
	return p.db.AISettings(ctx, ws)
}

func (p *aiProviders) Provider(ctx context.Context, ws int64, connectorID string) (ai.Provider, error) {
	settings, err := p.db.AISettings(ctx, ws)
	if err != nil {
		return nil, err
	}
	if connectorID == "" && settings.ConnectorID != nil {
		connectorID = *settings.ConnectorID
	}
	if connectorID != "" {
		c, err := p.vault.Connector(ctx, ws, connectorID)
		if err != nil {
			return nil, err
		}
		prov, err := llm.Provider(c, p.svc.HTTP, p.svc.CheckURL)
		if err != nil {
			return nil, action.Failf("%v", err)
		}
		return prov, nil
	}
	if p.def != nil && p.def.Provider != "" {
		c := &connector.Connector{ID: "environment", Type: llm.Type,
			Settings:    map[string]any{"provider": p.def.Provider, "base_url": p.def.BaseURL, "model": p.def.Model},
			Credentials: map[string]string{"api_key": p.def.APIKey}}
		return llm.Provider(c, p.svc.HTTP, p.svc.CheckURL)
	}
	return workspaceBuiltin{Provider: p.builtinFor(ws, settings), ws: ws, settings: settings}, nil
}

// workspaceBuiltin is the built-in provider bound to one workspace's
// history, saved replies and keywords.
type workspaceBuiltin struct {
	*builtin.Provider
	ws       int64
	settings helpdesk.AISettings
}

func (b workspaceBuiltin) Complete(ctx context.Context, req ai.Request) (ai.Completion, error) {
	return b.Provider.Complete(withWorkspace(ctx, b.ws, b.settings, nil), req)
}

func (b workspaceBuiltin) Classify(ctx context.Context, req ai.ClassifyRequest) (ai.Classification, error) {
	return b.Provider.Classify(withWorkspace(ctx, b.ws, b.settings, req.Categories), req)
}

type sourceKey struct{}

type sourceScope struct {
	ws         int64
	settings   helpdesk.AISettings
	categories []string
}

func withWorkspace(ctx context.Context, ws int64, s helpdesk.AISettings, categories []string) context.Context {
	return context.WithValue(ctx, sourceKey{}, sourceScope{ws: ws, settings: s, categories: categories})
}

// workspaceSource feeds the built-in provider from the workspace named in
// the call's context: past tickets labelled by tags (or the category
// field) and saved replies.
type workspaceSource struct{ db *storage.DB }

func (s *workspaceSource) scope(ctx context.Context) (sourceScope, error) {
	sc, ok := ctx.Value(sourceKey{}).(sourceScope)
	if !ok {
		return sc, errors.New("built-in AI provider used without a workspace")
	}
	return sc, nil
}

func (s *workspaceSource) Examples(ctx context.Context) ([]builtin.Example, error) {
	sc, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	labelled, err := s.db.LabelledTickets(ctx, sc.ws, sc.categories, sc.settings.CategoryField, maxTrainingTickets)
	if err != nil {
		return nil, fmt.Errorf("training tickets: %w", err)
	}
	out := make([]builtin.Example, len(labelled))
	for i, l := range labelled {
		out[i] = builtin.Example{Subject: l.Subject, Body: l.Body, Label: l.Label}
	}
	return out, nil
}

func (s *workspaceSource) SavedReplies(ctx context.Context) ([]builtin.SavedReply, error) {
	sc, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	replies, err := s.db.AllSavedReplies(ctx, sc.ws, 1000)
	if err != nil {
		return nil, err
	}
	out := make([]builtin.SavedReply, len(replies))
	for i, r := range replies {
		out[i] = builtin.SavedReply{ID: r.ID, Title: r.Title, Body: r.Body}
	}
	return out, nil
}
