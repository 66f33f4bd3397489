package api

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
)

const maxNameLength = 100

// readName reads the body {"name": "..."} shared by tags and teams.
func readName(w http.ResponseWriter, r *http.Request) (string, error) {
	body, err := readJSON(w, r)
	if err != nil {
		return "", err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	name := requiredName(obj, "name")
	obj.RejectUnknown(readOnly...)
	return name, errs.Err()
}

// readOnly fields may be echoed back from a GET and are ignored.
var readOnly = []string{"id", "created_at", "updated_at"}

func requiredName(obj *validate.Object, key string) string {
	name, ok := obj.String(key, true)
	name = strings.TrimSpace(name)
	if ok && len(name) > maxNameLength {
		obj.Errs.Add(obj.FieldPath(key), "must be at most %d characters", maxNameLength)
	}
	return name
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p principal) error {
	u, err := s.db.GetUser(r.Context(), p.WorkspaceID, p.UserID)
	if err != nil {
		return err
	}
	return ok(w, u)
}

// named serves tags and teams, objects that are only a name: param is the
// path parameter of their id.
type named struct {
	s     *Server
	kind  storage.NamedKind
	param string
}

func (n named) list(ctx context.Context, ws int64, page storage.Page) ([]helpdesk.Named, int, error) {
	return n.s.db.ListNamed(ctx, n.kind, ws, page)
}

func (n named) create(w http.ResponseWriter, r *http.Request, p principal) error {
	name, err := readName(w, r)
	if err != nil {
		return err
	}
	item, err := n.s.db.CreateNamed(r.Context(), n.kind, p.WorkspaceID, name)
	if err != nil {
		return err
	}
	return created(w, item)
}

func (n named) get(ctx context.Context, ws int64, id string) (helpdesk.Named, error) {
	return n.s.db.GetNamed(ctx, n.kind, ws, id)
}

func (n named) update(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, n.param)
	if err != nil {
		return err
	}
	if _, err := n.s.db.GetNamed(r.Context(), n.kind, p.WorkspaceID, id); err != nil {
		return err
	}
	name, err := readName(w, r)
	if err != nil {
		return err
	}
	item, err := n.s.db.RenameNamed(r.Context(), n.kind, p.WorkspaceID, id, name)
	if err != nil {
		return err
	}
	return ok(w, item)
}

func (n named) delete(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, n.param)
	if err != nil {
		return err
	}
	if err := n.s.db.DeleteNamed(r.Context(), n.kind, p.WorkspaceID, id); err != nil {
		return err
	}
	return noContent(w)
}

// readChannel reads a channel body; on update, omitted fields keep current.
func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "channel")
	if err != nil {
		return err
	}
	if err := s.db.DeleteChannel(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	return noContent(w)
}

var fieldKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func (s *Server) createCustomField(w http.ResponseWriter, r *http.Request, p principal) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	f := helpdesk.CustomField{Name: requiredName(obj, "name"), Type: helpdesk.FieldText}
	if key, ok := obj.String("key", true); ok {
		if !fieldKey.MatchString(key) {
			errs.Add("key", "must start with a lowercase letter and contain only lowercase letters, digits and _ (at most 64)")
		}
		f.Key = key
	}
	if t, ok := obj.String("type", false); ok && obj.OneOf("type", t, helpdesk.FieldTypes...) {
		f.Type = t
	}
	obj.RejectUnknown(readOnly...)
	if err := errs.Err(); err != nil {
		return err
	}
	f, err = s.db.CreateCustomField(r.Context(), p.WorkspaceID, f)
	if err != nil {
		return err
	}
	return created(w, f)
}

func (s *Server) updateCustomField(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "field")
	if err != nil {
		return err
	}
	current, err := s.db.GetCustomField(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	name := requiredName(obj, "name")
	for _, fixed := range []string{"key", "type"} {
		if v, given := obj.Raw(fixed); given && v != any(fieldValue(current, fixed)) {
			errs.Add(fixed, "cannot be changed; create a new field instead")
		}
	}
	obj.RejectUnknown(readOnly...)
	if err := errs.Err(); err != nil {
		return err
	}
	f, err := s.db.RenameCustomField(r.Context(), p.WorkspaceID, id, name)
	if err != nil {
		return err
	}
	return ok(w, f)
}

func fieldValue(f helpdesk.CustomField, key string) string {
	if key == "key" {
		return f.Key
	}
	return f.Type
}

func (s *Server) deleteCustomField(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "field")
	if err != nil {
		return err
	}
	if err := s.db.DeleteCustomField(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	return noContent(w)
}
