package platformfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// errorRecorder keeps the errors a fake reports instead of failing the
// test, to show that they are reported.
type errorRecorder struct {
	*testing.T
	errors []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// A fake's answer is checked against the official description: an
// answer whose values have the wrong type, or that lacks a status the
// operation lists, is reported; one that omits properties the schema
// requires is completed from the schema and passes.
func TestFakeAnswersAreCheckedAgainstTheDescription(t *testing.T) {
	cases := []struct {
		name, answer string
		status       int
		reported     string
	}{
		{"wrong type", `{"id": 5, "object": "customer"}`, 200, `"id": 5`},
		{"not an object", `["cus_123"]`, 200, "does not match stripe's official description"},
		{"error status of another shape", `{"message": "no"}`, 404, `property "error" is missing`},
		{"required properties missing", `{"id": "cus_123", "object": "customer"}`, 200, ""},
		{"the error object", `{"error": {"type": "invalid_request_error", "message": "No such customer: 'cus_9'"}}`, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &errorRecorder{T: t}
			s := newServer(rec, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.answer))
			})
			s.official = "stripe"
			req, _ := http.NewRequest("GET", s.URL+"/v1/customers/cus_123", nil)
			req.Header.Set("Authorization", "Bearer "+StripeKey)
			res, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			got := strings.Join(rec.errors, "\n")
			switch {
			case c.reported == "" && got != "":
				t.Errorf("reported: %s", got)
			case c.reported != "" && !strings.Contains(got, c.reported):
				t.Errorf("reported %q, want %q", got, c.reported)
			}
		})
	}
}

// A literal path wins over a template that matches it too, in the choice
// of the example and of the operation the answer is checked against:
// /project/search is a page of projects every time, /project/SUP one.
func TestLiteralPathWinsOverTemplate(t *testing.T) {
	f := NewJira(t)
	get := func(path string) map[string]any {
		req, _ := http.NewRequest("GET", f.URL+path, nil)
		req.SetBasicAuth(JiraEmail, JiraAPIToken)
		res, err := f.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return m
	}
	for i := 0; i < 5; i++ {
		if page := get("/rest/api/3/project/search?maxResults=1"); page["values"] == nil {
			t.Fatalf("request %d: %v", i, page)
		}
		if project := get("/rest/api/3/project/SUP"); project["key"] == nil || project["values"] != nil {
			t.Fatalf("request %d: %v", i, project)
		}
	}
}
