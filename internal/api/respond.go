package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
)

// errorBody is the answer of every error but 422.
type errorBody struct {
	Message string `json:"message"`
}

// validationErrorBody is a 422's answer: every bad field by its path.
type validationErrorBody struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors" doc:"The problems of each bad field, by its path (conditions.0.type)."`
}

type single struct {
	Data any `json:"data"`
}

type listBody struct {
	Data any      `json:"data"`
	Meta pageMeta `json:"meta"`
}

type pageMeta struct {
	CurrentPage int `json:"current_page"`
	PerPage     int `json:"per_page"`
	Total       int `json:"total"`
	LastPage    int `json:"last_page"`
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
}

func ok(w http.ResponseWriter, data any) error {
	writeJSON(w, http.StatusOK, single{Data: data})
	return nil
}

func created(w http.ResponseWriter, data any) error {
	writeJSON(w, http.StatusCreated, single{Data: data})
	return nil
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func paged(w http.ResponseWriter, data any, page storage.Page, total int) error {
	last := (total + page.Size - 1) / page.Size
	writeJSON(w, http.StatusOK, listBody{Data: data, Meta: pageMeta{CurrentPage: page.Number, PerPage: page.Size, Total: total, LastPage: max(last, 1)}})
	return nil
}

// Pagination defaults.
const (
	defaultPerPage = 50
	maxPerPage     = 200
)

// pageOf reads ?page= and ?per_page=.
func pageOf(r *http.Request) (storage.Page, error) {
	var errs validate.Errors
	p := storage.Page{Number: 1, Size: defaultPerPage}
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			errs.Add("page", "must be a whole number from 1")
		}
		p.Number = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPerPage {
			errs.Add("per_page", "must be a whole number from 1 to %d", maxPerPage)
		}
		p.Size = n
	}
	return p, errs.Err()
}

// readJSON reads a JSON request body as generic values: 415 unless it is
// declared JSON, 413 when larger than MaxBodyBytes, 400 when malformed.
func readJSON(w http.ResponseWriter, r *http.Request) (any, error) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mediaType != "application/json" && !isJSONSuffix(mediaType)) {
		return nil, errStatus(http.StatusUnsupportedMediaType, "Content-Type must be application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errStatus(http.StatusRequestEntityTooLarge, "Request body is larger than "+strconv.Itoa(MaxBodyBytes)+" bytes.")
		}
		return nil, errStatus(http.StatusBadRequest, "Could not read the request body.")
	}
	v, err := validate.Decode(body)
	if err != nil {
		return nil, errStatus(http.StatusBadRequest, "Malformed JSON: "+err.Error())
	}
	if _, isObject := v.(map[string]any); !isObject {
		return nil, errStatus(http.StatusBadRequest, "The request body must be a JSON object.")
	}
	return v, nil
}

func isJSONSuffix(mediaType string) bool {
	return len(mediaType) > 5 && mediaType[len(mediaType)-5:] == "+json"
}
