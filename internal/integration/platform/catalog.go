package platform

import (
	// The slack connector type, whose connectors run the Slack catalog.
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	_ "github.com/deskflow/deskflow/internal/integration/slack"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/deskflow/deskflow/internal/connector"
)

// Platform is one catalog file: a kind of connector and its actions.
type Platform struct {
	// ID is the connector type name (shopify, stripe, …).
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// DefaultBaseURL is the API root, with {setting} placeholders filled
	// from the connector's settings; the base_url setting replaces it.
	// Empty means base_url is required.
	DefaultBaseURL string       `json:"default_base_url"`
	Settings       []Setting    `json:"settings"`
	Credentials    []Credential `json:"credentials"`
	Auth           Auth         `json:"auth"`
	// Headers are sent with every request.
	Headers map[string]string `json:"headers"`
	// Idempotency says which header carries the step's idempotency key,
	// and on which methods.
	Idempotency Idempotency `json:"idempotency"`
	// Errors names the platform's error format: shopify, stripe, github,
	// jira or slack (whose failures are 200 answers with "ok": false).
	Errors string `json:"errors"`
	// OwnConnector is true when the connector type is registered by its
	// own package (slack, whose connectors also send messages): the
	// catalog adds actions to that type instead of registering it.
	OwnConnector bool `json:"own_connector,omitempty"`
	// Encoding is the default body encoding of the actions: json or form.
	Encoding string `json:"encoding"`
	// Test is the cheap authenticated request that tests a connector.
	Test    Probe     `json:"test"`
	Actions []*Action `json:"actions"`

	byID map[string]*Action
}

// Setting is one connector setting.
type Setting struct {
	Key         string `json:"key"`
	Description string `json:"description"`
	// Kind decides how the value is checked and normalized: string, url,
	// shop_domain (a *.myshopify.com host) or api_version (YYYY-MM or a
	// Stripe version such as 2024-06-20).
	Kind     string `json:"kind"`
	Required bool   `json:"required"`
	// RequiredUnless names another setting that, when set, makes this one
	// optional.
	RequiredUnless string `json:"required_unless,omitempty"`
	Default        string `json:"default,omitempty"`
	// Example is a valid value, shown in the reference.
	Example string `json:"example"`
	// Header, when set, sends the setting's value as this request header.
	Header string `json:"header,omitempty"`
}

// Credential is one secret of a connector: its key, whether it is
// required, and a description.
type Credential = connector.Credential

// Auth says how the credentials authenticate a request.
type Auth struct {
	// Scheme is header (Header: value of Credential), bearer
	// (Authorization: Bearer Credential) or basic (Authorization: Basic
	// Username:Password, both credential keys).
	Scheme     string `json:"scheme"`
	Header     string `json:"header,omitempty"`
	Credential string `json:"credential,omitempty"`
	Username   string `json:"username,omitempty"`
	Password   string `json:"password,omitempty"`
}

// Idempotency describes the platform's idempotency-key header.
type Idempotency struct {
	Header  string   `json:"header"`
	Methods []string `json:"methods"`
	// Honored is true when the platform deduplicates requests by the key
	// (Stripe); elsewhere the header is informative only.
	Honored bool `json:"honored"`
}

// Probe is one request without parameters: a GET, or a POST of a
// GraphQL document.
type Probe struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	GraphQL string `json:"graphql,omitempty"`
}

// Action is one platform action.
type Action struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Method      string `json:"method"`
	// Path is relative to the base URL; {name} is the path parameter name.
	Path   string  `json:"path"`
	Params []Param `json:"params"`
	// Query are constant query parameters.
	Query map[string]string `json:"query,omitempty"`
	// Body is the constant part of the body, which parameters fill in.
	Body map[string]any `json:"body,omitempty"`
	// Encoding overrides the platform's body encoding.
	Encoding string   `json:"encoding,omitempty"`
	Response Response `json:"response"`
	// Handler names a multi-request implementation (handlers.go).
	Handler string `json:"handler,omitempty"`
	// Idempotent says that repeating the action does no harm, so that an
	// ambiguous failure (502, 504, a broken connection) may be retried.
	// Unset, it is true for GET, PUT, PATCH and DELETE, for POST on
	// platforms that honour idempotency keys, and for GraphQL queries and
	// mutations with an @idempotent key.
	Idempotent *bool `json:"idempotent,omitempty"`
	// Sensitive actions move money or destroy data: run them with
	// requireApproval.
	Sensitive bool `json:"sensitive,omitempty"`
	// AnyOf lists groups of parameters of which at least one must be given.
	AnyOf [][]string `json:"any_of,omitempty"`
	// GraphQL makes the action one GraphQL operation, POSTed to Path as
	// {"query", "variables"}: the parameters are its variables.
	GraphQL *GraphQL `json:"graphql,omitempty"`

	platform *Platform
}

// GraphQL is an action's GraphQL operation.
type GraphQL struct {
	// Document is the operation; its variables are the action's
	// parameters (in: variables, named by field).
	Document string `json:"document"`
	// Result is the dotted path, under data, of the action's answer
	// (order, or orders.nodes for a connection's nodes).
	Result string `json:"result"`
	// KeyVariable is the String! variable that carries the step's
	// idempotency key to the document's @idempotent(key:) directive
	// (Shopify requires one on refundCreate and the inventory mutations).
	KeyVariable string `json:"key_variable,omitempty"`
	// Found makes a null result an error: the id the action was given
	// names nothing (Shopify answers a query for an unknown id with null).
	Found bool `json:"found,omitempty"`
	// Prepare is a query the action's handler runs first (the refund's
	// suggested transactions); its variables are parameters too.
	Prepare string `json:"prepare,omitempty"`
}

// Param is one parameter of an action.
type Param struct {
	Name string `json:"name"`
	// Type is string, integer, number, boolean, array (of strings: a JSON
	// array, or a comma-separated string) or object.
	Type     string `json:"type"`
	Required bool   `json:"required"`
	// In is path, query or body.
	In          string `json:"in"`
	Description string `json:"description"`
	// Field is where the value goes: the query key, or the dotted path in
	// the body ("fields.project.key"; "$" is the whole body). Default: Name.
	Field string `json:"field,omitempty"`
	// CopyTo also writes a path parameter into the body at this dotted path.
	CopyTo string `json:"copy_to,omitempty"`
	// Format transforms the value: adf (text to an Atlassian document), csv
	// (array to "a, b"), add_ops (array to [{"add": v}]).
	Format string `json:"format,omitempty"`
	// GID is the object type of a Shopify global id (Order, Customer …):
	// a number, such as the id in the admin's URL, is sent as
	// gid://shopify/<GID>/<number>; a gid of that type is sent as it is.
	GID     string   `json:"gid,omitempty"`
	Enum    []string `json:"enum,omitempty"`
	Default any      `json:"default,omitempty"`
}

// Response says what of the answer becomes the step's output data.
type Response struct {
	// List says that the output is a list (after Root): its Fields are
	// those of each element, read as {{variables.<saveAs>.0.<field>}}.
	List bool `json:"list,omitempty"`
	// Root unwraps one key of the answer ({"order": {...}} → {...}).
	Root string `json:"root,omitempty"`
	// Fields are the dotted paths kept (applied to each element of an
	// array); empty keeps everything.
	Fields []string `json:"fields,omitempty"`
}

// Platform returns the platform the action belongs to.
func (a *Action) Platform() *Platform { return a.platform }

// Param returns the parameter called name.
func (a *Action) Param(name string) (Param, bool) {
	for _, p := range a.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// IsIdempotent reports whether repeating the action is harmless.
func (a *Action) IsIdempotent() bool {
	if a.Idempotent != nil {
		return *a.Idempotent
	}
	if a.GraphQL != nil {
		// A query only reads; a mutation with an @idempotent key is
		// deduplicated by the platform.
		return strings.HasPrefix(strings.TrimSpace(a.GraphQL.Document), "query") || a.GraphQL.KeyVariable != ""
	}
	if a.Method == http.MethodPost {
		return a.platform.Idempotency.Honored
	}
	return true
}

// SendsIdempotencyKey reports whether the platform deduplicates the
// action's request by the step's idempotency key: Stripe's header on its
// methods, or a GraphQL document's @idempotent key.
func (a *Action) SendsIdempotencyKey() bool {
	if a.GraphQL != nil {
		return a.GraphQL.KeyVariable != ""
	}
	return a.platform.Idempotency.Honored && slices.Contains(a.platform.Idempotency.Methods, a.Method)
}

// Action returns the platform's action with that id.
func (p *Platform) Action(id string) (*Action, bool) {
	a, ok := p.byID[id]
	return a, ok
}

// Setting returns the setting with that key.
func (p *Platform) Setting(key string) (Setting, bool) {
	for _, s := range p.Settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

//go:embed catalog/*.json
var catalogFS embed.FS

var (
	platforms = map[string]*Platform{}
	// offering maps an action id to the sorted ids of the platforms
	// offering it.
	offering = map[string][]string{}
)

func init() {
	loaded, err := load(catalogFS)
	if err != nil {
		panic("platform catalog: " + err.Error())
	}
	for _, p := range loaded {
		platforms[p.ID] = p
		for _, a := range p.Actions {
			offering[a.ID] = append(offering[a.ID], p.ID)
		}
	}
	for id := range offering {
		sort.Strings(offering[id])
	}
	for _, p := range loaded {
		if !p.OwnConnector {
			register(p)
		} else if _, registered := connector.Lookup(p.ID); !registered {
			panic("platform catalog: " + p.ID + " uses its own connector type, which is not registered")
		}
	}
}

// load reads and checks every catalog file.
func load(fsys fs.FS) ([]*Platform, error) {
	files, err := fs.Glob(fsys, "catalog/*.json")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no catalog files")
	}
	var out []*Platform
	seen := map[string]bool{}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		p, err := parsePlatform(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if want := strings.TrimSuffix(path.Base(f), ".json"); p.ID != want {
			return nil, fmt.Errorf("%s: id %q does not match the file name", f, p.ID)
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("%s: platform %s defined twice", f, p.ID)
		}
		seen[p.ID] = true
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// parsePlatform decodes one catalog file strictly and checks it.
func parsePlatform(data []byte) (*Platform, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var p Platform
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the catalog object")
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

var (
	identRe       = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	paramNameRe   = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	placeholderRe = regexp.MustCompile(`\{([^{}]*)\}`)
	gidTypeRe     = regexp.MustCompile(`^[A-Z][A-Za-z]*$`)
	fieldRe       = regexp.MustCompile(`^(\$|[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*)$`)
)

var (
	paramTypes   = []string{"string", "integer", "number", "boolean", "array", "object"}
	paramIns     = []string{"path", "query", "body", "variables"}
	formats      = []string{"adf", "csv", "add_ops"}
	encodings    = []string{"json", "form"}
	errorFormats = []string{"shopify", "stripe", "github", "jira", "slack"}
	settingKinds = []string{"string", "url", "shop_domain", "api_version"}
	methods      = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
)

// check validates a platform and links its actions.
func (p *Platform) check() error {
	if !identRe.MatchString(p.ID) {
		return fmt.Errorf("bad platform id %q", p.ID)
	}
	if p.Name == "" || p.Description == "" {
		return fmt.Errorf("platform %s needs a name and a description", p.ID)
	}
	if !slices.Contains(errorFormats, p.Errors) {
		return fmt.Errorf("errors must be one of %v", errorFormats)
	}
	if !slices.Contains(encodings, p.Encoding) {
		return fmt.Errorf("encoding must be one of %v", encodings)
	}
	settings := map[string]bool{}
	for _, s := range p.Settings {
		if !identRe.MatchString(s.Key) || settings[s.Key] {
			return fmt.Errorf("bad or repeated setting %q", s.Key)
		}
		if !slices.Contains(settingKinds, s.Kind) {
			return fmt.Errorf("setting %s: kind must be one of %v", s.Key, settingKinds)
		}
		if s.Description == "" || s.Example == "" {
			return fmt.Errorf("setting %s needs a description and an example", s.Key)
		}
		settings[s.Key] = true
	}
	if !settings["base_url"] {
		return fmt.Errorf("every platform has a base_url setting (for on-premise and test servers)")
	}
	for _, s := range p.Settings {
		if s.RequiredUnless != "" && !settings[s.RequiredUnless] {
			return fmt.Errorf("setting %s: required_unless names unknown setting %s", s.Key, s.RequiredUnless)
		}
	}
	for _, m := range placeholderRe.FindAllStringSubmatch(p.DefaultBaseURL, -1) {
		if !settings[m[1]] {
			return fmt.Errorf("default_base_url uses unknown setting {%s}", m[1])
		}
	}
	if base, _ := p.Setting("base_url"); p.DefaultBaseURL == "" && !base.Required {
		return fmt.Errorf("without default_base_url, the base_url setting must be required")
	}
	creds := map[string]bool{}
	for _, c := range p.Credentials {
		if !identRe.MatchString(c.Key) || creds[c.Key] {
			return fmt.Errorf("bad or repeated credential %q", c.Key)
		}
		if c.Description == "" {
			return fmt.Errorf("credential %s needs a description", c.Key)
		}
		creds[c.Key] = true
	}
	switch p.Auth.Scheme {
	case "header":
		if p.Auth.Header == "" || !creds[p.Auth.Credential] {
			return fmt.Errorf("auth header needs a header and a declared credential")
		}
	case "bearer":
		if !creds[p.Auth.Credential] {
			return fmt.Errorf("auth bearer needs a declared credential")
		}
	case "basic":
		if !creds[p.Auth.Username] || !creds[p.Auth.Password] {
			return fmt.Errorf("auth basic needs declared username and password credentials")
		}
	default:
		return fmt.Errorf("auth scheme must be header, bearer or basic")
	}
	if p.Idempotency.Header != "" {
		for _, m := range p.Idempotency.Methods {
			if !slices.Contains(methods, m) {
				return fmt.Errorf("idempotency: bad method %q", m)
			}
		}
	}
	if !strings.HasPrefix(p.Test.Path, "/") || (p.Test.Method != http.MethodGet || p.Test.GraphQL != "") && (p.Test.Method != http.MethodPost || p.Test.GraphQL == "") {
		return fmt.Errorf("test must be a GET, or a POST of a GraphQL document, of a path starting with /")
	}
	if len(p.Actions) == 0 {
		return fmt.Errorf("platform %s has no actions", p.ID)
	}
	p.byID = map[string]*Action{}
	for i, a := range p.Actions {
		if a == nil {
			return fmt.Errorf("actions.%d is null", i)
		}
		if _, dup := p.byID[a.ID]; dup {
			return fmt.Errorf("action %s defined twice", a.ID)
		}
		a.platform = p
		if err := a.check(); err != nil {
			return fmt.Errorf("action %s: %w", a.ID, err)
		}
		p.byID[a.ID] = a
	}
	return nil
}

func (a *Action) check() error {
	if !identRe.MatchString(a.ID) {
		return fmt.Errorf("bad action id")
	}
	if a.Name == "" || a.Description == "" {
		return fmt.Errorf("needs a name and a description")
	}
	if !slices.Contains(methods, a.Method) {
		return fmt.Errorf("bad method %q", a.Method)
	}
	if !strings.HasPrefix(a.Path, "/") || strings.ContainsAny(a.Path, "?#") {
		return fmt.Errorf("path must start with / and have no query")
	}
	if a.Encoding != "" && !slices.Contains(encodings, a.Encoding) {
		return fmt.Errorf("encoding must be one of %v", encodings)
	}
	if a.Handler != "" {
		if _, ok := handlers[a.Handler]; !ok {
			return fmt.Errorf("unknown handler %q", a.Handler)
		}
	}
	if a.Body != nil && a.Method == http.MethodGet {
		return fmt.Errorf("a GET has no body")
	}
	if a.GraphQL != nil {
		if a.Method != http.MethodPost || a.GraphQL.Document == "" || a.GraphQL.Result == "" {
			return fmt.Errorf("a GraphQL action is a POST with a document and a result path")
		}
		for _, p := range a.Params {
			if p.In != "variables" {
				return fmt.Errorf("parameter %s of a GraphQL action must be in variables", p.Name)
			}
		}
		if k := a.GraphQL.KeyVariable; k != "" && !strings.Contains(a.GraphQL.Document, "$"+k+": String!") {
			return fmt.Errorf("key_variable %s is not a String! variable of the document", k)
		}
		if a.GraphQL.Prepare != "" && a.Handler == "" {
			return fmt.Errorf("prepare is run by a handler, and the action has none")
		}
	}
	names := map[string]bool{}
	fields := map[string]bool{}
	for _, p := range a.Params {
		if !paramNameRe.MatchString(p.Name) || names[p.Name] {
			return fmt.Errorf("bad or repeated parameter %q", p.Name)
		}
		names[p.Name] = true
		if err := p.check(a); err != nil {
			return fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		if p.In != "path" {
			key := p.In + ":" + p.field()
			if fields[key] {
				return fmt.Errorf("parameter %s: %s field %s filled twice", p.Name, p.In, p.field())
			}
			fields[key] = true
		}
	}
	inPath := map[string]bool{}
	for _, m := range placeholderRe.FindAllStringSubmatch(a.Path, -1) {
		p, ok := a.Param(m[1])
		if !ok || p.In != "path" {
			return fmt.Errorf("path placeholder {%s} is not a declared path parameter", m[1])
		}
		if inPath[m[1]] {
			return fmt.Errorf("path placeholder {%s} used twice", m[1])
		}
		inPath[m[1]] = true
	}
	for _, p := range a.Params {
		if p.In == "path" && !inPath[p.Name] {
			return fmt.Errorf("path parameter %s does not appear in the path", p.Name)
		}
	}
	for _, group := range a.AnyOf {
		if len(group) < 2 {
			return fmt.Errorf("any_of groups need two parameters or more")
		}
		for _, n := range group {
			p, ok := a.Param(n)
			if !ok || p.Required {
				return fmt.Errorf("any_of names %q, which is not an optional parameter", n)
			}
		}
	}
	for _, f := range a.Response.Fields {
		if !fieldRe.MatchString(f) || f == "$" {
			return fmt.Errorf("bad response field %q", f)
		}
	}
	return nil
}

func (p Param) field() string {
	if p.Field != "" {
		return p.Field
	}
	return p.Name
}

func (p Param) check(a *Action) error {
	if !slices.Contains(paramTypes, p.Type) {
		return fmt.Errorf("type must be one of %v", paramTypes)
	}
	if !slices.Contains(paramIns, p.In) {
		return fmt.Errorf("in must be one of %v", paramIns)
	}
	if p.Description == "" {
		return fmt.Errorf("needs a description")
	}
	if p.Field != "" && !fieldRe.MatchString(p.Field) {
		return fmt.Errorf("bad field %q", p.Field)
	}
	switch p.In {
	case "path":
		if !p.Required {
			return fmt.Errorf("path parameters are required")
		}
		if p.Type != "string" && p.Type != "integer" {
			return fmt.Errorf("path parameters are strings or integers")
		}
		if p.Field != "" {
			return fmt.Errorf("path parameters have no field (use copy_to)")
		}
		if p.CopyTo != "" && (!fieldRe.MatchString(p.CopyTo) || a.Method == http.MethodGet) {
			return fmt.Errorf("bad copy_to")
		}
	case "query":
		if p.Type == "object" && a.encoding() != "form" {
			return fmt.Errorf("object query parameters need form encoding")
		}
		if p.CopyTo != "" {
			return fmt.Errorf("copy_to is for path parameters")
		}
	case "body":
		if a.Method == http.MethodGet {
			return fmt.Errorf("a GET has no body")
		}
		if p.CopyTo != "" {
			return fmt.Errorf("copy_to is for path parameters")
		}
		if p.Field == "$" && a.encoding() == "form" {
			return fmt.Errorf("a form body cannot be a single value")
		}
	}
	if p.Format != "" {
		if !slices.Contains(formats, p.Format) {
			return fmt.Errorf("format must be one of %v", formats)
		}
		if want := map[string]string{"adf": "string", "csv": "array", "add_ops": "array"}[p.Format]; p.Type != want {
			return fmt.Errorf("format %s needs type %s", p.Format, want)
		}
	}
	if len(p.Enum) > 0 && p.Type != "string" {
		return fmt.Errorf("enum is for strings")
	}
	if p.GID != "" && (p.Type != "string" || !gidTypeRe.MatchString(p.GID)) {
		return fmt.Errorf("gid names an object type (Order) of a string parameter")
	}
	if p.Default != nil {
		if p.Required {
			return fmt.Errorf("a required parameter has no default")
		}
		if _, err := coerce(p, p.Default); err != nil {
			return fmt.Errorf("default: %v", err)
		}
	}
	return nil
}

func (a *Action) encoding() string {
	if a.Encoding != "" {
		return a.Encoding
	}
	return a.platform.Encoding
}

// Lookup returns a platform by id (its connector type name).
func Lookup(id string) (*Platform, bool) {
	p, ok := platforms[id]
	return p, ok
}

// IDs lists the platform ids, sorted.
func IDs() []string {
	out := make([]string, 0, len(platforms))
	for id := range platforms {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Offering lists, sorted, the platforms that have an action with this id.
func Offering(actionID string) []string {
	return slices.Clone(offering[actionID])
}

// FindAction returns the action of a platform.
func FindAction(platformID, actionID string) (*Action, bool) {
	p, ok := platforms[platformID]
	if !ok {
		return nil, false
	}
	return p.Action(actionID)
}

// PlatformInfo describes a platform for listing (GET of available actions).
type PlatformInfo struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Settings    []Setting    `json:"settings"`
	Credentials []Credential `json:"credentials"`
	Actions     []ActionInfo `json:"actions"`
}

// ActionInfo describes an action for listing.
type ActionInfo struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Sensitive   bool   `json:"sensitive"`
	// Idempotent says that repeating the action does no harm, so that a
	// failure whose outcome is unknown (a timeout, a 502) is retried.
	Idempotent bool `json:"idempotent"`
	// IdempotencyKey says that the step's idempotency key goes with the
	// request and the platform answers a repeat with the first result
	// (Stripe's Idempotency-Key, Shopify's @idempotent).
	IdempotencyKey bool        `json:"idempotency_key"`
	Params         []ParamInfo `json:"params"`
	AnyOf          [][]string  `json:"any_of,omitempty"`
	// Output lists the dotted fields of the step's output (of each
	// element when OutputList): what {{variables.<saveAs>.<field>}} reads.
	Output []string `json:"output"`
	// OutputList says that the output is a list of objects with those
	// fields ({{variables.<saveAs>.0.<field>}}).
	OutputList bool `json:"output_list"`
}

// ParamInfo describes a parameter for listing.
type ParamInfo struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Required    bool     `json:"required"`
	In          string   `json:"in"`
	Description string   `json:"description"`
	Enum        []string `json:"enum,omitempty"`
	Default     any      `json:"default,omitempty"`
}

// Catalog lists every platform with its settings, credentials and actions,
// sorted by platform id (actions in catalog order). The result is a copy.
func Catalog() []PlatformInfo {
	out := make([]PlatformInfo, 0, len(platforms))
	for _, id := range IDs() {
		p := platforms[id]
		info := PlatformInfo{
			ID: p.ID, Name: p.Name, Description: p.Description,
			Settings:    slices.Clone(p.Settings),
			Credentials: slices.Clone(p.Credentials),
			Actions:     make([]ActionInfo, 0, len(p.Actions)),
		}
		for _, a := range p.Actions {
			ai := ActionInfo{
				ID: a.ID, Name: a.Name, Description: a.Description,
				Method: a.Method, Path: a.Path, Sensitive: a.Sensitive,
				Idempotent: a.IsIdempotent(), IdempotencyKey: a.SendsIdempotencyKey(),
				Params: make([]ParamInfo, 0, len(a.Params)),
				Output: slices.Clone(a.Response.Fields), OutputList: a.Response.List,
			}
			if ai.Output == nil {
				ai.Output = []string{}
			}
			for _, g := range a.AnyOf {
				ai.AnyOf = append(ai.AnyOf, slices.Clone(g))
			}
			for _, prm := range a.Params {
				ai.Params = append(ai.Params, ParamInfo{
					Name: prm.Name, Type: prm.Type, Required: prm.Required, In: prm.In,
					Description: prm.Description, Enum: slices.Clone(prm.Enum), Default: prm.Default,
				})
			}
			info.Actions = append(info.Actions, ai)
		}
		out = append(out, info)
	}
	return out
}
