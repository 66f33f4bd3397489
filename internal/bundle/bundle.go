// Package bundle owns workflows as code: a workspace's automation — its
// workflows and the tags, teams, business hours, saved replies and
// connectors (without credentials) around them — as one document that names
// objects by name instead of id; its export, the plan that makes a workspace
// match a document, and the apply of that plan in one transaction.
package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/deskflow/deskflow/internal/businesshours"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// FormatVersion is the version of the bundle format this package reads and
// writes.
const FormatVersion = 1

// MaxObjects bounds the objects of each kind in a bundle (and in a workspace
// that is exported).
const MaxObjects = 5000

// Bundle is a workspace's automation. References between objects are by
// name: a tag, team, connector or channel by its name, a user by email (or
// by name when the user has no email).
type Bundle struct {
	Version       int                     `json:"version"`
	BusinessHours *businesshours.Schedule `json:"business_hours,omitempty"`
	Tags          []string                `json:"tags"`
	Teams         []string                `json:"teams"`
	SavedReplies  []SavedReplyEntry       `json:"saved_replies"`
	Connectors    []ConnectorEntry        `json:"connectors"`
	Workflows     []WorkflowEntry         `json:"workflows"`
}

// SavedReplyEntry is a saved reply, known by its title.
type SavedReplyEntry struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// ConnectorEntry is a connector without its credentials, known by its name.
type ConnectorEntry struct {
	Name     string         `json:"name"`
	Type     string         `json:"type"`
	Settings map[string]any `json:"settings" doc:"The settings of the connector's type (ConnectorSettings_<type>)."`
}

// WorkflowEntry is a workflow as POST /api/workflows takes it, with names where
// the API has ids; it is known by its name.
type WorkflowEntry struct {
	Name               string               `json:"name"`
	Description        string               `json:"description,omitempty"`
	TriggerType        string               `json:"trigger_type"`
	TriggerParameters  map[string]any       `json:"trigger_parameters" doc:"The trigger type's parameters (TriggerParameters_<trigger_type>)."`
	ConditionMatchType string               `json:"condition_match_type"`
	IsEnabled          bool                 `json:"is_enabled"`
	Position           int                  `json:"position"`
	Conditions         []workflow.Condition `json:"conditions"`
	Actions            []workflow.Action    `json:"actions"`
	Paths              []workflow.Path      `json:"paths"`
}

// YAML encodes a bundle as YAML, keys in the order of the JSON encoding and
// numbers exact.
func (b *Bundle) YAML() ([]byte, error) {
	js, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	out, err := yaml.JSONToYAML(js)
	if err != nil {
		return nil, fmt.Errorf("encode bundle as YAML: %w", err)
	}
	return out, nil
}

// SyntaxError is a document that is neither JSON nor YAML, or YAML that
// uses what a bundle refuses (aliases, several documents).
type SyntaxError struct{ Message string }

func (e *SyntaxError) Error() string { return e.Message }

// Decode reads a bundle document, YAML or JSON (JSON is YAML), into the
// generic form validation reads: objects, arrays, strings, json.Number,
// booleans and nil. Anchors and aliases are refused, so that a small
// document cannot expand into a large one.
func Decode(data []byte) (any, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		v, err := validate.Decode(trimmed)
		if err != nil {
			return nil, &SyntaxError{Message: "malformed JSON: " + err.Error()}
		}
		return v, nil
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, &SyntaxError{Message: "malformed YAML: " + yaml.FormatError(err, false, false)}
	}
	if len(file.Docs) > 1 {
		return nil, &SyntaxError{Message: "a bundle is one YAML document; this one has " + fmt.Sprint(len(file.Docs))}
	}
	var refused string
	for _, doc := range file.Docs {
		ast.Walk(visitor(func(n ast.Node) bool {
			switch n.(type) {
			case *ast.AliasNode, *ast.AnchorNode:
				refused = "YAML anchors and aliases are not accepted in a bundle (line " + fmt.Sprint(n.GetToken().Position.Line) + ")"
				return false
			case *ast.TagNode:
				refused = "YAML tags are not accepted in a bundle (line " + fmt.Sprint(n.GetToken().Position.Line) + ")"
				return false
			}
			return refused == ""
		}), doc)
	}
	if refused != "" {
		return nil, &SyntaxError{Message: refused}
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, &SyntaxError{Message: "malformed YAML: " + yaml.FormatError(err, false, false)}
	}
	v, err := validate.Decode(js)
	if err != nil {
		return nil, &SyntaxError{Message: "malformed YAML: " + err.Error()}
	}
	return v, nil
}

type visitor func(ast.Node) bool

func (f visitor) Visit(n ast.Node) ast.Visitor {
	if f(n) {
		return f
	}
	return nil
}

var index = regexp.MustCompile(`\.(\d+)(\.|$)`)

// FilePath writes a validation path as a path in the file:
// workflows.3.actions.1.parameters.url → workflows[3].actions[1].parameters.url.
func FilePath(path string) string {
	for {
		next := index.ReplaceAllString(path, "[$1]$2")
		if next == path {
			return path
		}
		path = next
	}
}

// filePaths rewrites the paths of a validation error as FilePath does.
func filePaths(err *validate.Error) *validate.Error {
	out := &validate.Error{Fields: map[string][]string{}, Dropped: err.Dropped}
	for p, msgs := range err.Fields {
		fp := FilePath(p)
		out.Fields[fp] = append(out.Fields[fp], msgs...)
	}
	return out
}

// lower folds a name for comparison: names of tags, teams and the like are
// unique case-insensitively.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
