package api

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/deskflow/deskflow/internal/businesshours"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

func (s *Server) showBusinessHours(w http.ResponseWriter, r *http.Request, p principal) error {
	sched, err := s.db.BusinessHours(r.Context(), p.WorkspaceID)
	if err != nil {
		return err
	}
	return ok(w, sched)
}

func (s *Server) updateBusinessHours(w http.ResponseWriter, r *http.Request, p principal) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	sched, err := businesshours.Parse(body)
	if err != nil {
		return err
	}
	if err := s.engine.SetBusinessHours(r.Context(), p.WorkspaceID, sched); err != nil {
		return err
	}
	return ok(w, sched)
}

// duePreview is when a customer message received at from would be due.
type duePreview struct {
	From     time.Time `json:"from"`
	DueAt    time.Time `json:"due_at"`
	Timezone string    `json:"timezone"`
}

// previewDue answers when a message received now would be due after value
// unit, counted in the workspace's business hours (or not, with
// only_business_hours=false): the console's "a message now would be due
// at …".
func (s *Server) previewDue(w http.ResponseWriter, r *http.Request, p principal) error {
	q := r.URL.Query()
	value, err := strconv.Atoi(cmp.Or(q.Get("value"), "4"))
	if err != nil || value < 1 || value > 100_000 {
		return validate.Field("value", "must be a whole number from 1 to 100000")
	}
	unit := cmp.Or(q.Get("unit"), workflow.UnitHours)
	if !slices.Contains([]string{workflow.UnitMinutes, workflow.UnitHours, workflow.UnitDays}, unit) {
		return validate.Field("unit", "must be one of: minutes, hours, days")
	}
	only := q.Get("only_business_hours") != "false"
	sched, err := s.db.BusinessHours(r.Context(), p.WorkspaceID)
	if err != nil {
		return err
	}
	cal, err := sched.Compile()
	if err != nil {
		return err
	}
	from := s.engine.Now()
	due, err := businesshours.Due(cal, from, value, unit, only)
	if err != nil {
		return validate.Field("value", "%v", err)
	}
	return ok(w, duePreview{From: from, DueAt: due, Timezone: sched.Timezone})
}
