package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/bundle"
)

// server is a deskflow API that export and apply talk to, as a CI pipeline
// would.
type server struct {
	url, token string
	workspace  int64
}

func serverFlags(c *command) func() (*server, error) {
	base := c.String("url", "DESKFLOW_URL", "http://127.0.0.1:8080", "the deskflow server")
	token := c.String("token", "DESKFLOW_TOKEN", "", "an admin's API token (required)")
	ws := c.Int64("workspace", "DESKFLOW_WORKSPACE", 0, "the workspace's id (required)")
	return func() (*server, error) {
		if *token == "" {
			return nil, usageError{"--token (or DESKFLOW_TOKEN) is required"}
		}
		if *ws <= 0 {
			return nil, usageError{"--workspace (or DESKFLOW_WORKSPACE) is required"}
		}
		return &server{url: strings.TrimRight(*base, "/"), token: *token, workspace: *ws}, nil
	}
}

// apiError is an answer other than 200: its status, message and the errors
// by path of a 422.
type apiError struct {
	status  int
	message string
	fields  map[string][]string
}

func (e *apiError) Error() string {
	if len(e.fields) == 0 {
		return fmt.Sprintf("the server answered %d: %s", e.status, e.message)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the bundle is invalid (%d):", e.status)
	paths := make([]string, 0, len(e.fields))
	for p := range e.fields {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		for _, m := range e.fields[p] {
			fmt.Fprintf(&b, "\n  %s: %s", p, m)
		}
	}
	return b.String()
}

// call sends a request and decodes the answer's data into out.
func (s *server) call(ctx context.Context, method, path string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("X-Workspace-Id", strconv.FormatInt(s.workspace, 10))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Message string              `json:"message"`
			Errors  map[string][]string `json:"errors"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(raw))
		}
		return &apiError{status: res.StatusCode, message: e.Message, fields: e.Errors}
	}
	envelope := struct {
		Data any `json:"data"`
	}{Data: out}
	if err := json.Unmarshal(raw, &envelope); err != nil {
		return fmt.Errorf("decode the answer of %s %s: %w", method, path, err)
	}
	return nil
}

func exportAutomation(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("export", "Prints a workspace's automation as a bundle (YAML): workflows, tags, teams, business hours, saved replies and connectors without credentials, named by name.")
	target := serverFlags(c)
	format := c.String("format", "", "yaml", "yaml or json")
	if err := c.parse(args, stdout); err != nil {
		return err
	}
	s, err := target()
	if err != nil {
		return err
	}
	if *format != "yaml" && *format != "json" {
		return usageError{"--format must be yaml or json"}
	}
	var b bundle.Bundle
	if err := s.call(ctx, http.MethodGet, "/api/export", nil, &b); err != nil {
		return err
	}
	var out []byte
	if *format == "json" {
		out, err = json.MarshalIndent(b, "", "  ")
		out = append(out, '\n')
	} else {
		out, err = b.YAML()
	}
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

func applyAutomation(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("apply", "Makes a workspace's automation match a bundle file (YAML or JSON): prints the plan, then applies all of it or nothing. Exit status 0 on success, 1 on any error.")
	target := serverFlags(c)
	file := c.String("f", "", "", "the bundle file, - for standard input (required)")
	prune := c.Bool("prune", "", false, "delete the objects of the kinds the file lists that it does not hold")
	dryRun := c.Bool("dry-run", "", false, "print the plan without applying it")
	if err := c.parse(args, stdout); err != nil {
		return err
	}
	s, err := target()
	if err != nil {
		return err
	}
	if *file == "" {
		return usageError{"-f FILE is required"}
	}
	var raw []byte
	if *file == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
	} else {
		raw, err = os.ReadFile(*file)
	}
	if err != nil {
		return err
	}
	doc, err := bundle.Decode(raw)
	var syntax *bundle.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Errorf("%s: %s", *file, syntax.Message)
	} else if err != nil {
		return err
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	q := url.Values{}
	q.Set("dry_run", strconv.FormatBool(*dryRun))
	q.Set("prune", strconv.FormatBool(*prune))
	var answer struct {
		Applied bool   `json:"applied"`
		Text    string `json:"text"`
	}
	if err := s.call(ctx, http.MethodPost, "/api/import?"+q.Encode(), body, &answer); err != nil {
		var invalid *apiError
		if errors.As(err, &invalid) && len(invalid.fields) > 0 {
			return fmt.Errorf("%s: %w", *file, err)
		}
		return err
	}
	fmt.Fprint(stdout, answer.Text)
	if *dryRun && answer.Text != "no changes\n" {
		fmt.Fprintln(stdout, "Dry run: nothing was applied.")
	}
	return nil
}
