package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/deskflow/deskflow/internal/engine"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/deskflow/deskflow/internal/businesshours"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/integration/platform"
	"github.com/deskflow/deskflow/internal/reference"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/workflow"
)

// schemaBuilder draws the JSON Schemas (2020-12, as OpenAPI 3.1 has them)
// of Go types by reflection with kin-openapi's openapi3gen: every struct
// is a component named by componentName, and customize turns what it
// reflects into OpenAPI 3.1 (see object).
type schemaBuilder struct {
	gen     *openapi3gen.Generator
	schemas openapi3.Schemas
	// names are the component names given, with their types.
	names     map[string]reflect.Type
	usedNotes map[noteKey]bool
	// problems are what customize found wrong.
	problems []error
}

func newSchemaBuilder() *schemaBuilder {
	b := &schemaBuilder{schemas: openapi3.Schemas{}, names: map[string]reflect.Type{}, usedNotes: map[noteKey]bool{}}
	b.gen = openapi3gen.NewGenerator(
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true, ExportTopLevelSchema: true}),
		openapi3gen.CreateTypeNameGenerator(b.componentName),
		openapi3gen.SchemaCustomizer(b.customize),
	)
	return b
}

// schemaOf is the schema of values of t: a $ref to its component for a
// struct.
func (b *schemaBuilder) schemaOf(t reflect.Type) (map[string]any, error) {
	if name, ok := drawn[t]; ok {
		return refTo("schemas", name), nil
	}
	ref, err := b.gen.NewSchemaRefForValue(reflect.Zero(t).Interface(), b.schemas)
	if err != nil {
		return nil, fmt.Errorf("reflect %s: %w", t, err)
	}
	if err := errors.Join(b.problems...); err != nil {
		return nil, err
	}
	var out map[string]any
	return out, convert(ref, &out)
}

// partial is the schema of an update body: struct t's (reflected
// already), every field optional. Its component is named after t's, its
// Input suffix made Update.
func (b *schemaBuilder) partial(t reflect.Type) map[string]any {
	update := *b.schemas[b.nameOf(t)].Value
	update.Required = nil
	updateName := b.partialName(t)
	if other, taken := b.names[updateName]; taken {
		b.problems = append(b.problems, fmt.Errorf("component %s names both %s and the partial body of %s", updateName, other, t))
	}
	b.schemas[updateName] = openapi3.NewSchemaRef("", &update)
	return refTo("schemas", updateName)
}

func (b *schemaBuilder) partialName(t reflect.Type) string {
	return strings.TrimSuffix(b.nameOf(t), "Input") + "Update"
}

// components are the component schemas: those reflected, the error
// shapes, and those drawn from the registries.
func (b *schemaBuilder) components() (map[string]any, error) {
	for _, t := range []reflect.Type{of[errorBody](), of[validationErrorBody](), of[pageMeta]()} {
		if _, err := b.schemaOf(t); err != nil {
			return nil, err
		}
	}
	var missing []string
	for k := range notes {
		if !b.usedNotes[k] {
			missing = append(missing, k.typ.String()+"."+k.field)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("notes on fields that no answer or body has: %s", strings.Join(missing, ", "))
	}
	out := map[string]any{}
	if err := convert(b.schemas, &out); err != nil {
		return nil, err
	}
	maps.Copy(out, drawnSchemas())
	maps.Copy(out, connectorSchemas())
	// Schemas that depend on a sibling field: a workflow's trigger
	// parameters on its trigger type, a connector's settings and
	// credentials on its type.
	for name, rules := range map[string][]any{
		b.nameOf(of[workflow.Workflow]()):   triggerParameterRules(),
		b.nameOf(of[connector.Connector]()): connectorRules(connectorAnswer),
		b.nameOf(of[connectorInput]()):      connectorRules(connectorCreate),
		b.partialName(of[connectorInput]()): connectorRules(connectorUpdate),
	} {
		if s, ok := out[name].(map[string]any); ok {
			s["allOf"] = rules
		} else {
			return nil, fmt.Errorf("no component %s to add rules to", name)
		}
	}
	return out, nil
}

// convert turns what kin-openapi built into JSON values.
func convert(from, to any) error {
	buf, err := json.Marshal(from)
	if err != nil {
		return fmt.Errorf("encode schema: %w", err)
	}
	if err := json.Unmarshal(buf, to); err != nil {
		return fmt.Errorf("decode schema: %w", err)
	}
	return nil
}

// componentNames are the component names of the types whose Go name would
// be unclear or taken; the others are named by their Go name, capitalized.
var componentNames = map[reflect.Type]string{
	of[errorBody]():              "Error",
	of[aiSettingsInput]():        "AISettingsInput",
	of[validationErrorBody]():    "ValidationError",
	of[ticketView]():             "TicketView",
	of[runView]():                "Run",
	of[catalogView]():            "ConnectorCatalog",
	of[testResult]():             "ConnectorTestResult",
	of[helpdesk.Named]():         "Named",
	of[condition.Result]():       "ConditionResult",
	of[run.Stop]():               "EvaluationStop",
	of[businesshours.Schedule](): "BusinessHours",
	of[businesshours.Interval](): "OpeningInterval",
	of[storage.Timer]():          "NoReplyTimer",
	of[reference.Document]():     "Specs",
	of[reference.Param]():        "ParameterSpec",
	of[reference.Trigger]():      "TriggerSpec",
	of[reference.Condition]():    "ConditionSpec",
	of[reference.Action]():       "ActionSpec",
	of[reference.Templates]():    "TemplateSpec",
	of[platform.PlatformInfo]():  "Platform",
	of[platform.ActionInfo]():    "PlatformAction",
	of[platform.ParamInfo]():     "PlatformActionParameter",
	of[platform.Setting]():       "PlatformSetting",
	of[platform.Credential]():    "PlatformCredential",
	of[template.FilterDoc]():     "TemplateFilter",
}

// componentName names t's component, and notes a name given to two types.
func (b *schemaBuilder) componentName(t reflect.Type) string {
	name := b.nameOf(t)
	if other, taken := b.names[name]; taken && other != t {
		b.problems = append(b.problems, fmt.Errorf("component %s names both %s and %s", name, other, t))
	}
	b.names[name] = t
	return name
}

func (b *schemaBuilder) nameOf(t reflect.Type) string {
	if name, ok := drawn[t]; ok {
		return name
	}
	if name, ok := componentNames[t]; ok {
		return name
	}
	r := []rune(t.Name())
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

var timeType = of[time.Time]()

// customize turns what openapi3gen reflects into OpenAPI 3.1: nullability
// is a type array that object sets on the properties of pointer fields
// (never the 3.0 nullable keyword), and each struct is an object with its
// required fields and no others.
func (b *schemaBuilder) customize(_ string, t reflect.Type, _ reflect.StructTag, s *openapi3.Schema) error {
	s.Nullable = false
	if doc, ok := typeDocs[t]; ok {
		s.Description = doc
	}
	if t.Kind() != reflect.Struct || t == timeType {
		return nil
	}
	if _, isDrawn := drawn[t]; isDrawn {
		return nil
	}
	b.object(t, s)
	return nil
}

// object completes the schema of struct t: the fields without omitempty
// are required (unless promoted from an embedded pointer, which may be
// nil), pointers may be null, the fields' tags (bodies.go) and notes
// constrain and describe them, and no other property is allowed. A field
// of free-form values (interface, or a map of them) must be described.
func (b *schemaBuilder) object(t reflect.Type, s *openapi3.Schema) {
	s.Type = &openapi3.Types{openapi3.TypeObject}
	s.AdditionalProperties = openapi3.AdditionalProperties{Has: new(false)}
	s.Required = nil
	for _, f := range jsonFields(t) {
		prop := s.Properties[f.name]
		if prop == nil {
			b.problems = append(b.problems, fmt.Errorf("%s.%s: no schema reflected", t, f.name))
			continue
		}
		if !f.omitEmpty && !f.viaPointer {
			s.Required = append(s.Required, f.name)
		}
		key := noteKey{f.declaredIn, f.name}
		note, hasNote := notes[key]
		if hasNote {
			b.usedNotes[key] = true
		}
		doc := f.Tag.Get("doc")
		if note.doc != "" {
			doc = note.doc
		}
		if freeForm(f.Type) && doc == "" {
			b.problems = append(b.problems, fmt.Errorf("%s.%s holds free-form values: describe them (a doc tag, or a note)", f.declaredIn, f.name))
		}
		decorated, err := decorate(prop, f, note, doc)
		if err != nil {
			b.problems = append(b.problems, fmt.Errorf("%s.%s: %w", f.declaredIn, f.name, err))
			continue
		}
		s.Properties[f.name] = decorated
	}
}

// decorate applies a field's tags and note to its schema. A pointer
// written even when nil (no omitempty), or a field tagged nullable, may be
// null. A component's $ref is wrapped, so that the component itself is not
// changed.
func decorate(prop *openapi3.SchemaRef, f jsonField, note fieldNote, doc string) (*openapi3.SchemaRef, error) {
	nullable := f.Tag.Get("nullable") == "true" || f.Type.Kind() == reflect.Pointer && !f.omitEmpty
	if isComponent(prop) {
		if !nullable && doc == "" {
			return prop, nil
		}
		wrapper := &openapi3.Schema{Description: doc}
		if nullable {
			wrapper.AnyOf = openapi3.SchemaRefs{prop, openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeNull}})}
		} else {
			wrapper.AllOf = openapi3.SchemaRefs{prop}
		}
		return openapi3.NewSchemaRef("", wrapper), nil
	}
	s := prop.Value
	types := note.types
	if list := f.Tag.Get("types"); list != "" {
		types = strings.Split(list, ",")
	}
	if types != nil {
		// The JSON types of a free-form value, or of a map's values.
		target := s
		if t := f.Type; t.Kind() == reflect.Map || t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Map {
			target = s.AdditionalProperties.Schema.Value
		}
		setTypes(target, types)
	}
	if doc != "" {
		s.Description = doc
	}
	if err := constrain(s, f.Tag, note.enum); err != nil {
		return nil, err
	}
	if nullable && s.Type != nil && !s.Type.Includes(openapi3.TypeNull) {
		*s.Type = append(*s.Type, openapi3.TypeNull)
		if s.Enum != nil {
			s.Enum = append(s.Enum, nil)
		}
	}
	return prop, nil
}

func isComponent(ref *openapi3.SchemaRef) bool {
	return strings.HasPrefix(ref.Ref, "#/components/schemas/")
}

// constrain applies a field's constraint tags (and the values of a note)
// to its schema s; those on texts apply to the items of a list.
func constrain(s *openapi3.Schema, tag reflect.StructTag, values []string) error {
	text := s
	if s.Type.Is(openapi3.TypeArray) && s.Items != nil {
		text = s.Items.Value
		if isComponent(s.Items) {
			text = nil
		}
	}
	if name := tag.Get("enum"); name != "" {
		list, known := enums[name]
		if !known {
			return fmt.Errorf("enum %q is not in enums", name)
		}
		values = list
	}
	counts := map[string]func(uint64){
		"minItems": func(n uint64) { s.MinItems = n },
		"maxItems": func(n uint64) { s.MaxItems = &n },
	}
	if text != nil {
		for _, v := range values {
			text.Enum = append(text.Enum, v)
		}
		text.Pattern, text.Format = cmp.Or(tag.Get("pattern"), text.Pattern), cmp.Or(tag.Get("format"), text.Format)
		counts["minLength"] = func(n uint64) { text.MinLength = n }
		counts["maxLength"] = func(n uint64) { text.MaxLength = &n }
	}
	for key, set := range counts {
		if v := tag.Get(key); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fmt.Errorf("tag %s:%q: %w", key, v, err)
			}
			set(n)
		}
	}
	return nil
}

// setTypes makes s a value of one of the JSON types: a type array for one
// type or one type and null, else a oneOf of one schema per type (the same
// in JSON Schema, and what client generators read).
func setTypes(s *openapi3.Schema, types []string) {
	if len(types) == 1 || len(types) == 2 && types[1] == openapi3.TypeNull {
		t := openapi3.Types(types)
		s.Type = &t
		return
	}
	s.Type = nil
	for _, t := range types {
		s.OneOf = append(s.OneOf, openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{t}}))
	}
}

// freeForm reports whether values of t can be any JSON: an interface, or
// a map or list of them.
func freeForm(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Map || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t.Kind() == reflect.Interface
}

// jsonField is a field as encoding/json writes it.
type jsonField struct {
	reflect.StructField
	name       string
	omitEmpty  bool
	declaredIn reflect.Type
	// viaPointer: promoted from an embedded pointer, so absent when it is
	// nil.
	viaPointer bool
}

// jsonFields lists the fields encoding/json writes for struct t, those of
// embedded structs included.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	var walk func(t reflect.Type, viaPointer bool)
	walk = func(t reflect.Type, viaPointer bool) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, viaPointer || f.Type.Kind() == reflect.Pointer)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			out = append(out, jsonField{StructField: f, name: name, declaredIn: t, viaPointer: viaPointer,
				omitEmpty: slices.Contains(strings.Split(opts, ","), "omitempty")})
		}
	}
	walk(t, false)
	return out
}

// typeDocs describe types.
var typeDocs = map[reflect.Type]string{
	of[document]():       "An OpenAPI 3.1 document: this one.",
	of[helpdesk.Named](): "A tag or a team: an object that is only a name.",
	of[ticketView]():     "A ticket with its contact and, when shown alone or just created, its latest messages.",
	of[runView]():        "A run of a workflow on a ticket, with the event that triggered it.",
}

// enums are the lists a body field's enum tag names.
var enums = map[string][]string{
	"channel_type":      helpdesk.ChannelTypes,
	"field_type":        helpdesk.FieldTypes,
	"ticket_status":     helpdesk.Statuses,
	"ticket_priority":   helpdesk.Priorities,
	"message_direction": messageDirections,
	"assignee_type":     assigneeTypes,
	"connector_type":    connector.TypeNames(),
	"health_status":     {"ok", "ready", "unavailable"},
	"role":              helpdesk.Roles,
}

// noteKey names a field of a Go type by its JSON name.
type noteKey struct {
	typ   reflect.Type
	field string
}

// fieldNote says more about a field of a type that is not the API's own
// (which uses tags instead): its description, the values of a text, the
// JSON types of a free-form value (of the values of a map).
type fieldNote struct {
	doc   string
	enum  []string
	types []string
}

var notes = map[noteKey]fieldNote{
	{of[helpdesk.User](), "role"}:                       {enum: helpdesk.Roles},
	{of[helpdesk.Channel](), "type"}:                    {enum: helpdesk.ChannelTypes},
	{of[helpdesk.CustomField](), "type"}:                {enum: helpdesk.FieldTypes},
	{of[helpdesk.Ticket](), "status"}:                   {enum: helpdesk.Statuses},
	{of[helpdesk.Ticket](), "priority"}:                 {enum: helpdesk.Priorities},
	{of[helpdesk.Ticket](), "tags"}:                     {doc: "The ids of the ticket's tags."},
	{of[helpdesk.Ticket](), "custom_fields"}:            {types: []string{"string", "number", "boolean"}, doc: "Values by custom field key, each of its field's type: text, number, boolean, or a date as YYYY-MM-DD."},
	{of[helpdesk.Ticket](), "waiting_since"}:            {doc: "Since when the customer waits for a reply; null when nobody waits."},
	{of[helpdesk.Assignee](), "type"}:                   {enum: assigneeTypes},
	{of[helpdesk.Message](), "direction"}:               {enum: messageDirections},
	{of[helpdesk.Message](), "workflow_run_id"}:         {doc: "The run whose action added the message; null when a person did."},
	{of[run.Step](), "input"}:                           {types: []string{"object", "null"}, doc: "The values the action used (its parameters, rendered); null until it ran."},
	{of[run.Step](), "output"}:                          {types: []string{"string", "number", "boolean", "array", "object", "null"}, doc: "What the action returned, its shape per action type (docs/workflows.md): an object, or for execute_connector_action the platform's answer itself (an object or a list); null until it ran."},
	{of[run.Approval](), "status"}:                      {enum: approvalStatuses},
	{of[run.Approval](), "parameters"}:                  {doc: "The step's parameters, rendered: what the action will use when approved."},
	{of[connector.Connector](), "settings"}:             {doc: "The settings of the connector's type (ConnectorSettings_<type>), defaults included when the type stores them."},
	{of[workflow.Workflow](), "trigger_type"}:           {enum: workflow.TriggerTypes},
	{of[workflow.Workflow](), "condition_match_type"}:   {enum: []string{workflow.MatchAll, workflow.MatchAny}},
	{of[workflow.Workflow](), "trigger_parameters"}:     {doc: "The trigger type's parameters (TriggerParameters_<trigger_type>), defaults included."},
	{of[workflow.Definition](), "trigger_type"}:         {enum: workflow.TriggerTypes},
	{of[workflow.Definition](), "condition_match_type"}: {enum: []string{workflow.MatchAll, workflow.MatchAny}},
	{of[workflow.Definition](), "trigger_parameters"}:   {doc: "The trigger type's parameters (TriggerParameters_<trigger_type>), defaults included."},
	{of[dryRunInput](), "workflow"}:                     {types: []string{"string", "number", "boolean", "array", "object", "null"}, doc: "The draft: the same body as POST /api/workflows (WorkflowInput), not saved. Only for /api/workflows/dry-run."},
	{of[engine.DryRunStep](), "parameters"}:             {types: []string{"string", "number", "boolean", "array", "object"}, doc: "The step's parameters, rendered for the ticket; header maps masked."},
	{of[workflow.Change](), "from"}:                     {types: []string{"string", "number", "boolean", "array", "object"}, doc: "The value before (absent when added)."},
	{of[workflow.Change](), "to"}:                       {types: []string{"string", "number", "boolean", "array", "object"}, doc: "The value after (absent when removed)."},
	{of[spec.Param](), "default"}:                       {types: []string{"string", "number", "boolean", "array", "object"}, doc: "The value used when the parameter is omitted, of the parameter's type."},
	{of[spec.Param](), "example"}:                       {types: []string{"string", "number", "boolean", "array", "object"}, doc: "An example value, of the parameter's type."},
	{of[platform.ParamInfo](), "default"}:               {types: []string{"string", "number", "boolean", "array", "object"}, doc: "The value sent when the parameter is omitted."},
}
