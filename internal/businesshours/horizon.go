package businesshours

import (
	"errors"
	"fmt"
	"time"

	"github.com/deskflow/deskflow/internal/validate"
)

// Need is what an on_no_reply workflow counting business hours asks of a
// schedule: a due time Value Unit of business time (business days for
// "days") after a waiting period starts.
type Need struct {
	Workflow string // the workflow's name, for messages
	Value    int
	Unit     string
}

// String is the need in words: "4 hours of business time", "2 business
// days".
func (n Need) String() string {
	switch n.Unit {
	case "days":
		return fmt.Sprintf("%d business days", n.Value)
	case "":
		return fmt.Sprintf("%d hours of business time", n.Value)
	}
	return fmt.Sprintf("%d %s of business time", n.Value, n.Unit)
}

// Lacks reports whether the calendar cannot give the need's due time for a
// waiting period that starts at start, because it lies beyond the search
// horizon (ErrNoBusinessTime). Other failures are errors.
func (c *Calendar) Lacks(start time.Time, n Need) (bool, error) {
	_, err := Due(c, start, n.Value, n.Unit, true)
	if errors.Is(err, ErrNoBusinessTime) {
		return true, nil
	}
	return false, err
}

// lackWords are, per field, how it lacks and what to do.
var lackWords = map[string][2]string{"weekly": {"has", "add opening hours"}, "closed_dates": {"leave", "remove closed dates"}}

// opening is the least a schedule must offer: one minute of business time.
var opening = Need{Value: 1, Unit: "minutes"}

// CheckHorizon checks that s, from now, opens within the search horizon
// and offers every need its due time there. Otherwise it gives a
// *validate.Error on the field to change: "closed_dates" when the weekly
// hours alone would do (the closed dates close what is missing), "weekly"
// otherwise. A schedule that never opens is refused whatever the needs: it
// is a mistake, like a week without hours, which Parse refuses.
func (s Schedule) CheckHorizon(now time.Time, needs []Need) error {
	cal, err := s.Compile()
	if err != nil {
		return err
	}
	var weekly *Calendar // s without its closed dates, compiled when needed
	field := func(n Need) (string, error) {
		if len(s.ClosedDates) == 0 {
			return "weekly", nil
		}
		if weekly == nil {
			open := s
			open.ClosedDates = nil
			if weekly, err = open.Compile(); err != nil {
				return "", err
			}
		}
		if lacks, err := weekly.Lacks(now, n); err != nil || lacks {
			return "weekly", err
		}
		return "closed_dates", nil
	}
	if lacks, err := cal.Lacks(now, opening); err != nil {
		return err
	} else if lacks {
		// Parse refuses a week without hours, so the closed dates did it.
		return validate.Field("closed_dates", "close every opening of the weekly hours in the next %s: the workspace would never be open", Horizon)
	}
	var errs validate.Errors
	for _, n := range needs {
		lacks, err := cal.Lacks(now, n)
		if err != nil {
			return fmt.Errorf("due time of workflow %q: %w", n.Workflow, err)
		}
		if !lacks {
			continue
		}
		path, err := field(n)
		if err != nil {
			return err
		}
		words := lackWords[path]
		errs.Add(path, "%s too little business time in the next %s for workflow %q to compute its due time (%s after a customer's message): %s, or change the workflow", words[0], Horizon, n.Workflow, n, words[1])
	}
	return errs.Err()
}
