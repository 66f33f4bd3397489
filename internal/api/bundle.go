package api

import (
	"net/http"

	"github.com/deskflow/deskflow/internal/bundle"
	"github.com/deskflow/deskflow/internal/validate"
)

// importAnswer is the plan of an import and whether it was applied.
type importAnswer struct {
	Changes []bundle.PlannedChange `json:"changes"`
	// Applied is false for a dry run, and when there was nothing to change.
	Applied bool `json:"applied"`
	// Text is the plan as deskflow apply prints it.
	Text string `json:"text"`
}

func (s *Server) exportBundle(w http.ResponseWriter, r *http.Request, p principal) error {
	b, err := s.bundles.Export(r.Context(), p.WorkspaceID)
	if err != nil {
		return err
	}
	return ok(w, b)
}

func (s *Server) importBundle(w http.ResponseWriter, r *http.Request, p principal) error {
	dryRun, err := flag(r, "dry_run")
	if err != nil {
		return err
	}
	prune, err := flag(r, "prune")
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	plan, err := s.bundles.Plan(r.Context(), p.WorkspaceID, body, bundle.Options{Prune: prune, Author: author(p)})
	if err != nil {
		return err
	}
	answer := importAnswer{Changes: plan.Changes, Text: plan.Text()}
	if !dryRun && !plan.Empty() {
		if err := s.bundles.Apply(r.Context(), p.WorkspaceID, plan); err != nil {
			return err
		}
		answer.Applied = true
	}
	return ok(w, answer)
}

// flag reads a boolean query parameter: true or false, absent is false.
func flag(r *http.Request, name string) (bool, error) {
	switch r.URL.Query().Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, validate.Field(name, "must be true or false")
}
