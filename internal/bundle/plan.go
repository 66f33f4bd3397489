package bundle

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/deskflow/deskflow/internal/businesshours"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// MaxNameLength bounds the name of a tag or team.
const MaxNameLength = 100

// Options of a plan.
type Options struct {
	// Prune deletes the objects of each kind the bundle lists that the
	// bundle does not hold. A kind the bundle leaves out is never touched.
	Prune bool
	// Author is recorded on the workflow versions the apply makes.
	Author string
}

// Actions of a change.
const (
	Create = "create"
	Update = "update"
	Delete = "delete"
)

// PlannedChange is one object a plan creates, updates or deletes.
type PlannedChange struct {
	// Kind is business_hours, tag, team, saved_reply, connector or workflow.
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Action string `json:"action"`
	// Fields are what an update changes (a workflow's by path).
	Fields []string `json:"fields,omitempty"`
	// Note says what the change leaves to do (credentials to set).
	Note string `json:"note,omitempty"`
}

// Plan is what an apply changes, in the order it does it.
type Plan struct {
	Changes []PlannedChange `json:"changes"`
	writes  []write
}

// write is the database work of one change.
type write struct {
	// path is where the object is in the file, for the errors of the write.
	path string
	do   func(ctx context.Context, tx *storage.Tx) error
}

// Empty reports whether applying the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Text shows the plan as a person reads it: one line per change (+ create,
// ~ update, - delete) and a count, or "no changes".
func (p *Plan) Text() string {
	if p.Empty() {
		return "no changes\n"
	}
	var b strings.Builder
	counts := map[string]int{}
	for _, c := range p.Changes {
		sign := map[string]string{Create: "+", Update: "~", Delete: "-"}[c.Action]
		fmt.Fprintf(&b, "%s %s %q", sign, c.Kind, c.Name)
		if len(c.Fields) > 0 {
			fmt.Fprintf(&b, ": %s", strings.Join(c.Fields, ", "))
		}
		if c.Note != "" {
			fmt.Fprintf(&b, " (%s)", c.Note)
		}
		b.WriteByte('\n')
		counts[c.Action]++
	}
	fmt.Fprintf(&b, "Plan: %d to create, %d to update, %d to delete.\n", counts[Create], counts[Update], counts[Delete])
	return b.String()
}

// planner builds one plan.
type planner struct {
	s     *Service
	ws    int64
	opt   Options
	now   *workspace
	names *names
	errs  validate.Errors
	root  *validate.Object
	// deletes are planned after every create and update.
	plan, deletes Plan
}

func (p *planner) change(c PlannedChange, path string, do func(ctx context.Context, tx *storage.Tx) error) {
	into := &p.plan
	if c.Action == Delete {
		into = &p.deletes
	}
	into.Changes = append(into.Changes, c)
	into.writes = append(into.writes, write{path: path, do: do})
}

// Plan validates a decoded bundle against the workspace and returns the
// changes that make the workspace match it. Every problem of the file is
// reported at once, as a *validate.Error whose paths are the file's
// (workflows[3].actions[1].parameters.url).
func (s *Service) Plan(ctx context.Context, ws int64, doc any, opt Options) (*Plan, error) {
	if _, isObject := doc.(map[string]any); !isObject {
		return nil, validate.Field("bundle", "must be an object")
	}
	now, err := load(ctx, s.DB, ws)
	if err != nil {
		return nil, err
	}
	p := &planner{s: s, ws: ws, opt: opt, now: now, names: newNames()}
	p.root = validate.NewObject(&p.errs, "", doc)
	p.names.people(now)
	if v, ok := p.root.Int("version", false); ok && v != FormatVersion {
		p.errs.Add("version", "must be %d", FormatVersion)
	}
	p.named(storage.Tags, "tags", param.KindTag, now.tags)
	p.named(storage.Teams, "teams", param.KindTeam, now.teams)
	p.savedReplies()
	p.connectors()
	p.businessHours()
	if err := p.workflows(ctx); err != nil {
		return nil, err
	}
	p.root.RejectUnknown()
	if ve, ok := validate.As(p.errs.Err()); ok {
		return nil, filePaths(ve)
	}
	slices.Reverse(p.deletes.Changes) // workflows first, then what they used
	slices.Reverse(p.deletes.writes)
	p.plan.Changes = append(p.plan.Changes, p.deletes.Changes...)
	p.plan.writes = append(p.plan.writes, p.deletes.writes...)
	if p.plan.Changes == nil {
		p.plan.Changes = []PlannedChange{}
	}
	return &p.plan, nil
}

// named plans tags or teams: a list of names.
func (p *planner) named(k storage.NamedKind, key string, kind param.Kind, existing []helpdesk.Named) {
	list, listed := p.root.StringList(key, false, MaxObjects, key)
	if !listed {
		for _, o := range existing {
			p.names.add(kind, o.ID, o.Name)
		}
		return
	}
	have := map[string]helpdesk.Named{}
	for _, o := range existing {
		have[lower(o.Name)] = o
	}
	kept := map[string]bool{}
	for i, name := range list {
		name = strings.TrimSpace(name)
		path := validate.Index(key, i)
		if len(name) > MaxNameLength {
			p.errs.Add(path, "must be at most %d characters", MaxNameLength)
			continue
		}
		if kept[lower(name)] {
			p.errs.Add(path, "is listed twice: %q", name)
			continue
		}
		kept[lower(name)] = true
		if o, ok := have[lower(name)]; ok {
			p.names.add(kind, o.ID, o.Name)
			continue
		}
		id := helpdesk.NewID()
		p.names.add(kind, id, name)
		p.change(PlannedChange{Kind: k.Kind(), Name: name, Action: Create}, path, func(ctx context.Context, tx *storage.Tx) error {
			return tx.CreateNamed(ctx, k, p.ws, id, name)
		})
	}
	if p.opt.Prune {
		for _, o := range existing {
			if !kept[lower(o.Name)] {
				p.change(PlannedChange{Kind: k.Kind(), Name: o.Name, Action: Delete}, "", func(ctx context.Context, tx *storage.Tx) error {
					return tx.DeleteNamed(ctx, k, p.ws, o.ID)
				})
			}
		}
	}
}

// items reads a list of objects; each comes with its path.
func (p *planner) items(key string) ([]*validate.Object, bool) {
	list, listed := p.root.Array(key, false, MaxObjects, key)
	if !listed {
		return nil, false
	}
	out := make([]*validate.Object, 0, len(list))
	for i, item := range list {
		path := validate.Index(key, i)
		if _, isObject := item.(map[string]any); !isObject {
			p.errs.Add(path, "must be an object")
			continue
		}
		out = append(out, validate.NewObject(&p.errs, path, item))
	}
	return out, true
}

func (p *planner) savedReplies() {
	items, listed := p.items("saved_replies")
	if !listed {
		return
	}
	have := map[string]helpdesk.SavedReply{}
	for _, r := range p.now.savedReplies {
		have[lower(r.Title)] = r
	}
	kept := map[string]bool{}
	for _, obj := range items {
		r := helpdesk.ReadSavedReply(obj, helpdesk.SavedReply{})
		if r.Title == "" {
			continue
		}
		if kept[lower(r.Title)] {
			p.errs.Add(obj.FieldPath("title"), "is listed twice: %q", r.Title)
			continue
		}
		kept[lower(r.Title)] = true
		current, exists := have[lower(r.Title)]
		switch {
		case !exists:
			r.ID = helpdesk.NewID()
			p.change(PlannedChange{Kind: "saved_reply", Name: r.Title, Action: Create}, obj.Path, func(ctx context.Context, tx *storage.Tx) error {
				return tx.SaveSavedReply(ctx, p.ws, r)
			})
		case current.Title != r.Title || current.Body != r.Body:
			var fields []string
			if current.Title != r.Title {
				fields = append(fields, "title")
			}
			if current.Body != r.Body {
				fields = append(fields, "body")
			}
			r.ID, r.CreatedAt = current.ID, current.CreatedAt
			p.change(PlannedChange{Kind: "saved_reply", Name: r.Title, Action: Update, Fields: fields}, obj.Path, func(ctx context.Context, tx *storage.Tx) error {
				return tx.SaveSavedReply(ctx, p.ws, r)
			})
		}
	}
	if p.opt.Prune {
		for _, r := range p.now.savedReplies {
			if !kept[lower(r.Title)] {
				p.change(PlannedChange{Kind: "saved_reply", Name: r.Title, Action: Delete}, "", func(ctx context.Context, tx *storage.Tx) error {
					return tx.DeleteSavedReply(ctx, p.ws, r.ID)
				})
			}
		}
	}
}

func (p *planner) connectors() {
	items, listed := p.items("connectors")
	have := map[string]connector.Connector{}
	for _, c := range p.now.connectors {
		have[lower(c.Name)] = c
		if !listed {
			p.names.add(param.KindConnector, c.ID, c.Name)
			p.names.connectorType[c.ID] = c.Type
		}
	}
	if !listed {
		return
	}
	kept := map[string]bool{}
	for _, obj := range items {
		in, err := connector.ParseDefinition(obj.Values, nil)
		if ve, ok := validate.As(err); ok {
			p.errs.Merge(obj.Path, ve)
			continue
		}
		if kept[lower(in.Name)] {
			p.errs.Add(obj.FieldPath("name"), "is listed twice: %q", in.Name)
			continue
		}
		kept[lower(in.Name)] = true
		current, exists := have[lower(in.Name)]
		if exists && current.Type != in.Type {
			p.errs.Add(obj.FieldPath("type"), "the workspace's connector %q is of type %s: a connector's type cannot change (give the new one another name)", current.Name, current.Type)
			continue
		}
		c := connector.Connector{ID: connector.NewID(), Type: in.Type, Name: in.Name, Settings: in.Settings}
		if exists {
			c.ID, c.CreatedAt = current.ID, current.CreatedAt
		}
		p.names.add(param.KindConnector, c.ID, c.Name)
		p.names.connectorType[c.ID] = c.Type
		put := func(ctx context.Context, tx *storage.Tx) error { return tx.PutConnector(ctx, p.ws, c) }
		switch {
		case !exists:
			p.change(PlannedChange{Kind: "connector", Name: c.Name, Action: Create, Note: credentialsNote(c.Type)}, obj.Path, put)
		case current.Name != c.Name || !sameJSON(current.Settings, c.Settings):
			var fields []string
			if current.Name != c.Name {
				fields = append(fields, "name")
			}
			if !sameJSON(current.Settings, c.Settings) {
				fields = append(fields, "settings")
			}
			p.change(PlannedChange{Kind: "connector", Name: c.Name, Action: Update, Fields: fields}, obj.Path, put)
		}
	}
	if p.opt.Prune {
		for _, c := range p.now.connectors {
			if !kept[lower(c.Name)] {
				p.change(PlannedChange{Kind: "connector", Name: c.Name, Action: Delete}, "", func(ctx context.Context, tx *storage.Tx) error {
					return tx.DeleteConnector(ctx, p.ws, c.ID)
				})
			}
		}
	}
}

// credentialsNote names the credentials a new connector needs before it
// works: a bundle carries none.
func credentialsNote(typ string) string {
	def, _ := connector.Lookup(typ)
	var keys []string
	for _, c := range def.Credentials {
		if c.Required {
			keys = append(keys, c.Key)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return "set its credentials: " + strings.Join(keys, ", ")
}

func (p *planner) businessHours() {
	value, given := p.root.Raw("business_hours")
	if !given || value == nil {
		return
	}
	sched, err := businesshours.Parse(value)
	if ve, ok := validate.As(err); ok {
		p.errs.Merge("business_hours", ve)
		return
	}
	if sameJSON(sched, p.now.hours) {
		return
	}
	p.change(PlannedChange{Kind: "business_hours", Name: sched.Timezone, Action: Update}, "business_hours", func(ctx context.Context, tx *storage.Tx) error {
		return p.s.Engine.SetBusinessHoursIn(ctx, tx, p.ws, sched)
	})
}

func (p *planner) workflows(ctx context.Context) error {
	items, listed := p.items("workflows")
	if !listed {
		return nil
	}
	have := map[string]*workflow.Workflow{}
	for _, w := range p.now.workflows {
		if _, twice := have[lower(w.Name)]; twice {
			// Both are reported if the bundle names them.
			have[lower(w.Name)] = nil
			continue
		}
		have[lower(w.Name)] = w
	}
	kept := map[string]bool{}
	for _, obj := range items {
		name, _ := obj.Values["name"].(string)
		name = strings.TrimSpace(name)
		if name != "" && kept[lower(name)] {
			p.errs.Add(obj.FieldPath("name"), "is listed twice: %q", name)
			continue
		}
		kept[lower(name)] = true
		wf, err := p.workflow(ctx, obj)
		if err != nil {
			return err
		}
		if wf == nil {
			continue
		}
		current, exists := have[lower(wf.Name)]
		if exists && current == nil {
			p.errs.Add(obj.FieldPath("name"), "two workflows of the workspace are named %q: rename one", wf.Name)
			continue
		}
		wf.Author = p.opt.Author
		save := func(ctx context.Context, tx *storage.Tx) error {
			_, err := p.s.Engine.SaveWorkflowIn(ctx, tx, p.ws, wf)
			return err
		}
		if !exists {
			p.change(PlannedChange{Kind: "workflow", Name: wf.Name, Action: Create}, obj.Path, save)
			continue
		}
		wf.ID, wf.CreatedAt = current.ID, current.CreatedAt
		var fields []string
		for _, c := range workflow.Diff(current.Definition(), wf.Definition()) {
			fields = append(fields, FilePath(c.Path))
		}
		if current.IsEnabled != wf.IsEnabled {
			fields = append(fields, "is_enabled")
		}
		if current.Position != wf.Position {
			fields = append(fields, "position")
		}
		if len(fields) > 0 {
			p.change(PlannedChange{Kind: "workflow", Name: wf.Name, Action: Update, Fields: slices.Compact(fields)}, obj.Path, save)
		}
	}
	if p.opt.Prune {
		for _, w := range p.now.workflows {
			if !kept[lower(w.Name)] {
				p.change(PlannedChange{Kind: "workflow", Name: w.Name, Action: Delete}, "", func(ctx context.Context, tx *storage.Tx) error {
					return tx.DeleteWorkflow(ctx, p.ws, w.ID)
				})
			}
		}
	}
	return nil
}

// workflow validates one workflow of the bundle: read once to learn where
// its references are, its names replaced by ids, and read again as the API
// reads a new workflow. A nil workflow without error means it is invalid
// (the errors are recorded).
func (p *planner) workflow(ctx context.Context, obj *validate.Object) (*workflow.Workflow, error) {
	rec := &recorder{}
	v := p.s.Workflows
	v.Refs = rec
	_, err := v.Create(ctx, p.ws, deepCopy(obj.Values))
	valid := true
	if ve, ok := validate.As(err); ok {
		p.errs.Merge(obj.Path, ve)
		valid = false
	} else if err != nil {
		return nil, err
	}
	resolved := deepCopy(obj.Values)
	for _, r := range rec.refs {
		replace(resolved, r.Path, func(name string) string {
			id, ok := p.names.id(r.Kind, name)
			if !ok {
				valid = false
				p.errs.Add(validate.Join(obj.Path, r.Path), "no %s named %q %s", r.Kind, name, whereNamed(r.Kind))
			}
			return id
		})
	}
	if !valid {
		return nil, nil
	}
	v.Refs = p.names
	wf, err := v.Create(ctx, p.ws, resolved)
	if ve, ok := validate.As(err); ok {
		p.errs.Merge(obj.Path, ve)
		return nil, nil
	}
	return wf, err
}

func whereNamed(kind param.Kind) string {
	switch kind {
	case param.KindUser:
		return "in the workspace (users are named by email, or by name when they have none)"
	case param.KindChannel:
		return "in the workspace"
	}
	return "in the bundle (or, when the bundle lists none of them, in the workspace)"
}

// sameJSON compares two values as JSON documents.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	var va, vb any
	if validate.DecodeInto(ja, &va) != nil || validate.DecodeInto(jb, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}
