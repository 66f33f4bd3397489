package platformfake

import (
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
