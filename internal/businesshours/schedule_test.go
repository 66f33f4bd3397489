package businesshours

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/validate"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	v, err := validate.Decode([]byte(s))
	if err != nil {
		t.Fatalf("Decode(%s): %v", s, err)
	}
	return v
}

func TestParseNormalizes(t *testing.T) {
	got, err := Parse(decode(t, `{
		"timezone": "Europe/Berlin",
		"weekly": {
			"monday": [{"start": "13:00", "end": "17:00"}, {"start": "09:00", "end": "12:00"}],
			"tuesday": [{"start": "09:00", "end": "12:00"}, {"start": "12:00", "end": "24:00"}],
			"wednesday": null,
			"saturday": []
		},
		"closed_dates": ["2026-12-25", "2026-12-24", "2026-12-25", "2024-02-29"]
	}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Schedule{
		Timezone: "Europe/Berlin",
		Weekly: map[string][]Interval{
			"monday":    {iv("09:00", "12:00"), iv("13:00", "17:00")},
			"tuesday":   {iv("09:00", "12:00"), iv("12:00", "24:00")},
			"wednesday": {}, "thursday": {}, "friday": {}, "saturday": {}, "sunday": {},
		},
		ClosedDates: []string{"2024-02-29", "2026-12-24", "2026-12-25"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse =\n%#v\nwant\n%#v", got, want)
	}
	// Without closed_dates (or with null) there are none, as an empty list.
	got, err = Parse(decode(t, `{"timezone": "UTC", "weekly": {"friday": [{"start": "00:00", "end": "00:01"}]}, "closed_dates": null}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.ClosedDates == nil || len(got.ClosedDates) != 0 {
		t.Errorf("ClosedDates = %#v, want empty non-nil", got.ClosedDates)
	}
	// Touching intervals are one opening in the compiled calendar: no
	// closing at 12:00 on Tuesday.
	cal := mustCompile(t, want)
	res, err := cal.AddBusinessDuration(local(t, berlin, "2026-11-24 11:00"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sameInstant(t, "across touching intervals", res, local(t, berlin, "2026-11-24 12:00"))
	if !cal.IsOpen(local(t, berlin, "2026-11-24 12:00")) || !cal.IsOpen(local(t, berlin, "2026-11-24 23:59")) {
		t.Error("Tuesday 12:00–24:00 not open")
	}
}

func TestParseErrors(t *testing.T) {
	const okWeekly = `"weekly": {"monday": [{"start": "09:00", "end": "17:00"}]}`
	tests := []struct {
		name  string
		input string
		paths []string // every path with an error
		msg   string   // part of the message at paths[0]
	}{
		{"not an object", `"office hours"`, []string{"body"}, "object"},
		{"missing timezone", `{` + okWeekly + `}`, []string{"timezone"}, "required"},
		{"empty timezone", `{"timezone": "", ` + okWeekly + `}`, []string{"timezone"}, "empty"},
		{"timezone not a string", `{"timezone": 1, ` + okWeekly + `}`, []string{"timezone"}, "string"},
		{"unknown timezone", `{"timezone": "Mars/Olympus_Mons", ` + okWeekly + `}`, []string{"timezone"}, "IANA"},
		{"Local timezone", `{"timezone": "Local", ` + okWeekly + `}`, []string{"timezone"}, "IANA"},
		{"timezone path", `{"timezone": "../etc/passwd", ` + okWeekly + `}`, []string{"timezone"}, "IANA"},
		{"timezone with spaces", `{"timezone": " UTC", ` + okWeekly + `}`, []string{"timezone"}, "IANA"},
		{"missing weekly", `{"timezone": "UTC"}`, []string{"weekly"}, "required"},
		{"weekly not an object", `{"timezone": "UTC", "weekly": []}`, []string{"weekly"}, "object"},
		{"unknown day", `{"timezone": "UTC", "weekly": {"monday": [{"start": "09:00", "end": "17:00"}], "funday": []}}`,
			[]string{"weekly.funday"}, "day of the week"},
		{"capitalized day", `{"timezone": "UTC", "weekly": {"Monday": [{"start": "09:00", "end": "17:00"}]}}`,
			[]string{"weekly", "weekly.Monday"}, "at least one"},
		{"day not an array", `{"timezone": "UTC", "weekly": {"monday": "09:00-17:00"}}`, []string{"weekly.monday"}, "array"},
		{"interval not an object", `{"timezone": "UTC", "weekly": {"monday": ["09:00-17:00"]}}`, []string{"weekly.monday.0"}, "object"},
		{"missing start and end", `{"timezone": "UTC", "weekly": {"monday": [{}]}}`,
			[]string{"weekly.monday.0.end", "weekly.monday.0.start"}, "required"},
		{"start without leading zero", `{"timezone": "UTC", "weekly": {"monday": [{"start": "9:00", "end": "17:00"}]}}`,
			[]string{"weekly.monday.0.start"}, "HH:MM"},
		{"start 24:00", `{"timezone": "UTC", "weekly": {"monday": [{"start": "24:00", "end": "24:00"}]}}`,
			[]string{"weekly.monday.0.start"}, "HH:MM"},
		{"minute 60", `{"timezone": "UTC", "weekly": {"sunday": [{"start": "12:60", "end": "13:00"}]}}`,
			[]string{"weekly.sunday.0.start"}, "HH:MM"},
		{"hour 25", `{"timezone": "UTC", "weekly": {"sunday": [{"start": "12:00", "end": "25:00"}]}}`,
			[]string{"weekly.sunday.0.end"}, "HH:MM"},
		{"end 24:01", `{"timezone": "UTC", "weekly": {"sunday": [{"start": "12:00", "end": "24:01"}]}}`,
			[]string{"weekly.sunday.0.end"}, "HH:MM"},
		{"seconds", `{"timezone": "UTC", "weekly": {"sunday": [{"start": "12:00:00", "end": "13:00"}]}}`,
			[]string{"weekly.sunday.0.start"}, "HH:MM"},
		{"number", `{"timezone": "UTC", "weekly": {"sunday": [{"start": 9, "end": "13:00"}]}}`,
			[]string{"weekly.sunday.0.start"}, "string"},
		{"end before start", `{"timezone": "UTC", "weekly": {"friday": [{"start": "17:00", "end": "09:00"}]}}`,
			[]string{"weekly.friday.0.end"}, "later than start"},
		{"empty interval", `{"timezone": "UTC", "weekly": {"friday": [{"start": "09:00", "end": "09:00"}]}}`,
			[]string{"weekly.friday.0.end"}, "later than start"},
		{"overnight interval", `{"timezone": "UTC", "weekly": {"friday": [{"start": "22:00", "end": "02:00"}]}}`,
			[]string{"weekly.friday.0.end"}, "later than start"},
		{"unknown interval field", `{"timezone": "UTC", "weekly": {"friday": [{"start": "09:00", "end": "17:00", "label": "x"}]}}`,
			[]string{"weekly.friday.0.label"}, "not a known field"},
		{"overlap", `{"timezone": "UTC", "weekly": {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}}`,
			[]string{"weekly.monday.1"}, "overlaps interval 0"},
		{"overlap, unsorted", `{"timezone": "UTC", "weekly": {"monday": [{"start": "11:00", "end": "13:00"}, {"start": "09:00", "end": "12:00"}]}}`,
			[]string{"weekly.monday.1"}, "overlaps interval 0"},
		{"duplicate interval", `{"timezone": "UTC", "weekly": {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "09:00", "end": "12:00"}]}}`,
			[]string{"weekly.monday.1"}, "overlaps"},
		{"interval inside another", `{"timezone": "UTC", "weekly": {"monday": [{"start": "08:00", "end": "18:00"}, {"start": "09:00", "end": "10:00"}, {"start": "11:00", "end": "12:00"}]}}`,
			[]string{"weekly.monday.1", "weekly.monday.2"}, "overlaps interval 0"},
		{"no opening at all", `{"timezone": "UTC", "weekly": {"monday": [], "sunday": []}}`, []string{"weekly"}, "at least one opening interval"},
		{"no days at all", `{"timezone": "UTC", "weekly": {}}`, []string{"weekly"}, "at least one opening interval"},
		{"too many intervals", `{"timezone": "UTC", "weekly": {"monday": [` + strings.Repeat(`{"start": "09:00", "end": "10:00"},`, MaxIntervalsPerDay) + `{"start": "09:00", "end": "10:00"}]}}`,
			[]string{"weekly.monday"}, "at most"},
		{"closed_dates not an array", `{"timezone": "UTC", ` + okWeekly + `, "closed_dates": "2026-12-24"}`, []string{"closed_dates"}, "array"},
		{"bad closed dates", `{"timezone": "UTC", ` + okWeekly + `, "closed_dates": ["2026-12-24", "2026-02-30", "2026-1-05", 20261225, "2025-02-29", "24.12.2026", "2026-12-24T00:00:00Z", "0000-01-01", ""]}`,
			[]string{"closed_dates.1", "closed_dates.2", "closed_dates.3", "closed_dates.4", "closed_dates.5", "closed_dates.6", "closed_dates.7", "closed_dates.8"}, "YYYY-MM-DD"},
		{"too many closed dates", `{"timezone": "UTC", ` + okWeekly + `, "closed_dates": [` + strings.Repeat(`"2026-12-24",`, MaxClosedDates) + `"2026-12-24"]}`,
			[]string{"closed_dates"}, "at most"},
		{"unknown top-level field", `{"timezone": "UTC", ` + okWeekly + `, "holidays": []}`, []string{"holidays"}, "not a known field"},
		{"every error at once", `{"timezone": "Nowhere", "weekly": {"monday": [{"start": "9", "end": "17:00"}, {"start": "10:00", "end": "11:00"}, {"start": "10:30", "end": "12:00"}], "fri": []}, "closed_dates": ["tomorrow"], "extra": 1}`,
			[]string{"closed_dates.0", "extra", "timezone", "weekly.fri", "weekly.monday.0.start", "weekly.monday.2"}, "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(decode(t, tt.input))
			ve, ok := validate.As(err)
			if !ok {
				t.Fatalf("err = %v, want *validate.Error", err)
			}
			var paths []string
			for p := range ve.Fields {
				paths = append(paths, p)
			}
			slices.Sort(paths)
			want := slices.Clone(tt.paths)
			slices.Sort(want)
			if !slices.Equal(paths, want) {
				t.Fatalf("error paths %v, want %v (%v)", paths, want, err)
			}
			if msgs := strings.Join(ve.Fields[tt.paths[0]], "; "); !strings.Contains(msgs, tt.msg) {
				t.Errorf("message at %s = %q, want it to mention %q", tt.paths[0], msgs, tt.msg)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	d := Default()
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"timezone":"UTC","weekly":{` +
		`"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[{"start":"09:00","end":"17:00"}],` +
		`"wednesday":[{"start":"09:00","end":"17:00"}],"thursday":[{"start":"09:00","end":"17:00"}],` +
		`"friday":[{"start":"09:00","end":"17:00"}],"saturday":[],"sunday":[]},"closed_dates":[]}`
	if string(data) != want {
		t.Errorf("JSON =\n%s\nwant\n%s", data, want)
	}
	// Round trip through the API's path: Decode then Parse.
	back, err := Parse(decode(t, string(data)))
	if err != nil {
		t.Fatalf("Parse(Default JSON): %v", err)
	}
	if !reflect.DeepEqual(back, d) {
		t.Errorf("round trip = %#v, want %#v", back, d)
	}
	// And through json.Unmarshal.
	var s Schedule
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, d) {
		t.Errorf("Unmarshal = %#v, want %#v", s, d)
	}
	cal := mustCompile(t, d)
	if cal.Location().String() != "UTC" {
		t.Errorf("location %s", cal.Location())
	}
	if !cal.IsOpen(utc(t, "2026-11-27 16:59")) || cal.IsOpen(utc(t, "2026-11-28 10:00")) {
		t.Error("default hours wrong")
	}
	// Each call is a fresh value.
	d.Weekly["monday"][0].Start = "10:00"
	if Default().Weekly["monday"][0].Start != "09:00" {
		t.Error("Default shares state between calls")
	}
}

func TestMarshalJSON(t *testing.T) {
	// Missing days and nil closed dates come out as empty arrays.
	data, err := json.Marshal(Schedule{Timezone: "Europe/Berlin", Weekly: map[string][]Interval{
		"sunday": {iv("10:00", "12:00")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"timezone":"Europe/Berlin","weekly":{"monday":[],"tuesday":[],"wednesday":[],"thursday":[],"friday":[],"saturday":[],"sunday":[{"start":"10:00","end":"12:00"}]},"closed_dates":[]}`
	if string(data) != want {
		t.Errorf("JSON =\n%s\nwant\n%s", data, want)
	}
	// Inside another value too (value receiver).
	wrapped, err := json.Marshal(map[string]any{"data": &Schedule{}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(wrapped), `"saturday":[]`) || !strings.Contains(string(wrapped), `"closed_dates":[]`) {
		t.Errorf("wrapped JSON %s", wrapped)
	}
	// Unmarshal validates.
	var s Schedule
	err = json.Unmarshal([]byte(`{"timezone": "UTC", "weekly": {"monday": [{"start": "17:00", "end": "09:00"}]}}`), &s)
	if ve, ok := validate.As(err); !ok || len(ve.Fields["weekly.monday.0.end"]) == 0 {
		t.Errorf("Unmarshal of an invalid schedule: %v", err)
	}
}

func TestCompileValidates(t *testing.T) {
	tests := []struct {
		name string
		s    Schedule
		path string
	}{
		{"zero schedule", Schedule{}, "timezone"},
		{"no hours", Schedule{Timezone: "UTC"}, "weekly"},
		{"bad zone", Schedule{Timezone: "Nowhere/Land", Weekly: Default().Weekly}, "timezone"},
		{"bad day", Schedule{Timezone: "UTC", Weekly: map[string][]Interval{"monday": {iv("09:00", "17:00")}, "mon": {}}}, "weekly.mon"},
		{"bad interval", Schedule{Timezone: "UTC", Weekly: map[string][]Interval{"monday": {iv("09:00", "07:00")}}}, "weekly.monday.0.end"},
		{"bad date", Schedule{Timezone: "UTC", Weekly: Default().Weekly, ClosedDates: []string{"2026-13-01"}}, "closed_dates.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.s.Compile()
			var ve *validate.Error
			if !errors.As(err, &ve) || len(ve.Fields[tt.path]) == 0 {
				t.Errorf("Compile: %v, want an error at %s", err, tt.path)
			}
		})
	}
}
