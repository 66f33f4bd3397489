package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// The GraphQL form of trim: from an introspection result (Shopify's Admin
// API, as @shopify/dev-mcp ships it) to the SDL of what the catalog's
// documents use: the root fields and the fields they select, with every
// argument, and the input objects, enums and scalars those need.

type introType struct {
	Kind        string                  `json:"kind"`
	Name        string                  `json:"name"`
	Fields      []introField            `json:"fields"`
	InputFields []introValue            `json:"inputFields"`
	EnumValues  []struct{ Name string } `json:"enumValues"`
}

type introField struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Args        []introValue `json:"args"`
	Type        introRef     `json:"type"`
}

type introDirective struct {
	Name      string       `json:"name"`
	Args      []introValue `json:"args"`
	Locations []string     `json:"locations"`
}

// preludeDirectives are the directives gqlparser declares itself.
var preludeDirectives = map[string]bool{"include": true, "skip": true, "deprecated": true, "specifiedBy": true, "oneOf": true}

type introValue struct {
	Name string   `json:"name"`
	Type introRef `json:"type"`
}

type introRef struct {
	Kind   string    `json:"kind"`
	Name   string    `json:"name"`
	OfType *introRef `json:"ofType"`
}

func (r introRef) named() string {
	for r.OfType != nil {
		r = *r.OfType
	}
	return r.Name
}

func (r introRef) String() string {
	switch r.Kind {
	case "NON_NULL":
		return r.OfType.String() + "!"
	case "LIST":
		return "[" + r.OfType.String() + "]"
	}
	return r.Name
}

func trimGraphQL(introspection, catalogPath, out string) error {
	f, err := os.Open(introspection)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(introspection, ".gz") {
		if r, err = gzip.NewReader(f); err != nil {
			return err
		}
	}
	var doc struct {
		Data struct {
			Schema struct {
				QueryType    struct{ Name string } `json:"queryType"`
				MutationType struct{ Name string } `json:"mutationType"`
				Types        []introType           `json:"types"`
				Directives   []introDirective      `json:"directives"`
			} `json:"__schema"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return fmt.Errorf("read introspection: %w", err)
	}
	schema := doc.Data.Schema
	types := map[string]introType{}
	for _, t := range schema.Types {
		types[t.Name] = t
	}
	var catalog struct {
		Actions []struct {
			GraphQL *struct{ Document, Prepare string } `json:"graphql"`
		} `json:"actions"`
		Test struct{ GraphQL string } `json:"test"`
	}
	if err := readJSON(catalogPath, &catalog); err != nil {
		return err
	}
	used := map[string][]string{} // type → fields used
	needed := map[string]bool{}   // input objects, enums, scalars
	var need func(name string)
	need = func(name string) {
		if needed[name] {
			return
		}
		needed[name] = true
		for _, in := range types[name].InputFields {
			need(in.Type.named())
		}
	}
	var walk func(typeName string, set ast.SelectionSet)
	walk = func(typeName string, set ast.SelectionSet) {
		for _, sel := range set {
			field, ok := sel.(*ast.Field)
			if !ok {
				continue
			}
			if !slices.Contains(used[typeName], field.Name) {
				used[typeName] = append(used[typeName], field.Name)
			}
			for _, def := range types[typeName].Fields {
				if def.Name != field.Name {
					continue
				}
				for _, a := range def.Args {
					need(a.Type.named())
				}
				ret := def.Type.named()
				if len(field.SelectionSet) > 0 {
					walk(ret, field.SelectionSet)
				} else {
					need(ret)
				}
			}
		}
	}
	documents := []string{catalog.Test.GraphQL}
	for _, a := range catalog.Actions {
		if a.GraphQL != nil {
			documents = append(documents, a.GraphQL.Document, a.GraphQL.Prepare)
		}
	}
	for _, document := range documents {
		if document == "" {
			continue
		}
		q, err := parser.ParseQuery(&ast.Source{Input: document})
		if err != nil {
			return fmt.Errorf("parse %q: %w", document, err)
		}
		for _, op := range q.Operations {
			root := schema.QueryType.Name
			if op.Operation == ast.Mutation {
				root = schema.MutationType.Name
			}
			walk(root, op.SelectionSet)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Trimmed from Shopify's Admin GraphQL API introspection by internal/integration/platform/officialspec/trim.\nschema { query: %s mutation: %s }\n", schema.QueryType.Name, schema.MutationType.Name)
	builtin := map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}
	for _, d := range schema.Directives {
		if preludeDirectives[d.Name] {
			continue
		}
		var args []string
		for _, a := range d.Args {
			args = append(args, a.Name+": "+a.Type.String())
			need(a.Type.named())
		}
		fmt.Fprintf(&b, "directive @%s(%s) on %s\n", d.Name, strings.Join(args, ", "), strings.Join(d.Locations, " | "))
	}
	for _, t := range schema.Types {
		switch {
		case len(used[t.Name]) > 0:
			kind := "type"
			if t.Kind == "INTERFACE" {
				kind = "interface"
			}
			fmt.Fprintf(&b, "%s %s {\n", kind, t.Name)
			for _, fd := range t.Fields {
				if !slices.Contains(used[t.Name], fd.Name) {
					continue
				}
				var args []string
				for _, a := range fd.Args {
					args = append(args, a.Name+": "+a.Type.String())
				}
				sig := ""
				if len(args) > 0 {
					sig = "(" + strings.Join(args, ", ") + ")"
				}
				if rule := idempotencyRule(fd.Description); rule != "" {
					fmt.Fprintf(&b, "  %q\n", rule)
				}
				fmt.Fprintf(&b, "  %s%s: %s\n", fd.Name, sig, fd.Type)
			}
			b.WriteString("}\n")
		case !needed[t.Name] || builtin[t.Name]:
		case t.Kind == "SCALAR":
			fmt.Fprintf(&b, "scalar %s\n", t.Name)
		case t.Kind == "ENUM":
			var values []string
			for _, v := range t.EnumValues {
				values = append(values, v.Name)
			}
			fmt.Fprintf(&b, "enum %s { %s }\n", t.Name, strings.Join(values, " "))
		case t.Kind == "INPUT_OBJECT":
			fmt.Fprintf(&b, "input %s {\n", t.Name)
			for _, in := range t.InputFields {
				fmt.Fprintf(&b, "  %s: %s\n", in.Name, in.Type)
			}
			b.WriteString("}\n")
		}
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// idempotencyRule is the sentence of a field's description that makes the
// @idempotent directive required, kept in the SDL so that the catalog test
// and the fake can hold every document to it.
func idempotencyRule(description string) string {
	for _, line := range strings.Split(description, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), ">"))
		if strings.Contains(line, "idempotency key is required") {
			return line
		}
	}
	return ""
}
