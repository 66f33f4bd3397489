package businesshours

import (
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/validate"
)

// mondaysFrom lists the Mondays of the search horizon from the date of from
// (a Monday) but the last keep of them.
func mondaysFrom(from time.Time, keep int) []string {
	var out []string
	for d := from; !d.After(from.AddDate(0, 0, ScanDays)); d = d.AddDate(0, 0, 7) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out[:len(out)-keep]
}

func TestCheckHorizon(t *testing.T) {
	now := utc(t, "2026-11-30 08:00") // a Monday
	hour := func(end string, closed []string) Schedule {
		return Schedule{Timezone: "UTC", Weekly: week(map[string][]Interval{"monday": {iv("09:00", end)}}), ClosedDates: closed}
	}
	escalate := Need{Workflow: "Escalate", Value: 4, Unit: "hours"}
	for _, tc := range []struct {
		name  string
		sched Schedule
		needs []Need
		// field is the path of the only error ("": valid), want a part of
		// its message.
		field, want string
	}{
		{"open and no needs", hour("10:00", nil), nil, "", ""},
		{"a need it gives", hour("10:00", nil), []Need{escalate}, "", ""},
		{"never open", hour("10:00", mondaysFrom(now, 0)), nil, "closed_dates", "never be open"},
		{"never open, whatever the needs", hour("10:00", mondaysFrom(now, 0)), []Need{escalate}, "closed_dates", "never be open"},
		// About 157 Mondays in the horizon: 157 minutes, less than 4 hours.
		{"weekly hours too short", hour("09:01", nil), []Need{escalate}, "weekly", `workflow "Escalate" to compute its due time (4 hours of business time after`},
		{"weekly hours too short, closed dates too", hour("09:01", mondaysFrom(now, 10)), []Need{escalate}, "weekly", "add opening hours"},
		{"closed dates leave 3 hours", hour("10:00", mondaysFrom(now, 3)), []Need{escalate}, "closed_dates", "remove closed dates"},
		{"closed dates leave 4 hours", hour("10:00", mondaysFrom(now, 4)), []Need{escalate}, "", ""},
		{"business days", hour("10:00", mondaysFrom(now, 2)), []Need{{Workflow: "Later", Value: 3, Unit: "days"}}, "closed_dates", "(3 business days after"},
		{"the default unit is hours", hour("09:01", nil), []Need{{Workflow: "Default", Value: 4}}, "weekly", "(4 hours of business time after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sched.CheckHorizon(now, tc.needs)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			ve, ok := validate.As(err)
			if !ok {
				t.Fatalf("error %v, want a *validate.Error", err)
			}
			if msgs := ve.Fields[tc.field]; len(ve.Fields) != 1 || len(msgs) != 1 || !strings.Contains(msgs[0], tc.want) {
				t.Fatalf("errors %v, want one on %s containing %q", ve.Fields, tc.field, tc.want)
			}
		})
	}
	t.Run("every need that lacks is named", func(t *testing.T) {
		err := hour("10:00", nil).CheckHorizon(now, []Need{{Workflow: "A", Value: 600}, escalate, {Workflow: "B", Value: 700}})
		ve, ok := validate.As(err)
		if !ok || len(ve.Fields["weekly"]) != 2 || !strings.Contains(ve.Fields["weekly"][0], `"A"`) || !strings.Contains(ve.Fields["weekly"][1], `"B"`) {
			t.Fatalf("error %v, want weekly naming A and B", err)
		}
	})
	t.Run("an invalid need is an internal error", func(t *testing.T) {
		err := hour("10:00", nil).CheckHorizon(now, []Need{{Workflow: "Bad", Value: 0}})
		if _, isUser := validate.As(err); err == nil || isUser {
			t.Fatalf("error %v, want an internal error", err)
		}
	})
}
