// Command trim cuts a full OpenAPI 3 description down to the operations a
// platform catalog file uses, and the component schemas they reference.
// With -openapi2 the description is OpenAPI 2 (Slack's), converted to
// OpenAPI 3 by kin-openapi first.
//
//	go run ./internal/integration/platform/officialspec/trim \
//	  -spec spec3.json -catalog internal/integration/platform/catalog/stripe.json \
//	  -out internal/integration/platform/officialspec/stripe.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
)

var placeholder = regexp.MustCompile(`\{[^}]*\}`)

func main() {
	specPath := flag.String("spec", "", "full OpenAPI 3 JSON description")
	catalogPath := flag.String("catalog", "", "platform catalog JSON file")
	prefix := flag.String("prefix", "", "path prefix of the catalog's base URL (e.g. /rest/api/3)")
	out := flag.String("out", "", "trimmed output file")
	v2 := flag.Bool("openapi2", false, "the description is OpenAPI 2 (Swagger): convert it to OpenAPI 3 first")
	introspection := flag.String("graphql", "", "a GraphQL introspection result (.json or .json.gz): write the SDL of what the catalog's GraphQL documents use")
	flag.Parse()
	if *introspection != "" {
		if err := trimGraphQL(*introspection, *catalogPath, *out); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *v2 {
		converted, err := convert(*specPath)
		if err != nil {
			log.Fatal(err)
		}
		*specPath = converted
	}
	if err := run(*specPath, *catalogPath, *prefix, *out); err != nil {
		log.Fatal(err)
	}
}

func run(specPath, catalogPath, prefix, out string) error {
	var spec map[string]any
	if err := readJSON(specPath, &spec); err != nil {
		return err
	}
	var catalog struct {
		Actions []struct{ Method, Path string } `json:"actions"`
		Test    struct{ Method, Path string }   `json:"test"`
	}
	if err := readJSON(catalogPath, &catalog); err != nil {
		return err
	}
	wanted := map[string][]string{} // normalized path → methods
	for _, a := range append(catalog.Actions, catalog.Test) {
		key := placeholder.ReplaceAllString(prefix+a.Path, "{}")
		wanted[key] = append(wanted[key], strings.ToLower(a.Method))
	}
	paths, _ := spec["paths"].(map[string]any)
	kept := map[string]any{}
	for p, item := range paths {
		methods, ok := wanted[placeholder.ReplaceAllString(p, "{}")]
		if !ok {
			continue
		}
		ops := item.(map[string]any)
		trimmed := map[string]any{}
		for k, v := range ops {
			if k == "parameters" || contains(methods, k) {
				trimmed[k] = v
			}
		}
		kept[p] = trimmed
	}
	components, _ := spec["components"].(map[string]any)
	used := map[string]map[string]any{} // kind (schemas, parameters, …) → name → value
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				kind, name, _ := strings.Cut(strings.TrimPrefix(ref, "#/components/"), "/")
				group, _ := components[kind].(map[string]any)
				if used[kind] == nil {
					used[kind] = map[string]any{}
				}
				if _, seen := used[kind][name]; !seen && group[name] != nil {
					used[kind][name] = group[name]
					walk(group[name])
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(kept)
	keptComponents := map[string]any{}
	for kind, group := range used {
		keptComponents[kind] = group
	}
	if sec, ok := components["securitySchemes"]; ok {
		keptComponents["securitySchemes"] = sec
	}
	result := map[string]any{"paths": kept, "components": keptComponents}
	for _, k := range []string{"openapi", "info", "servers", "security"} {
		if v, ok := spec[k]; ok {
			result[k] = v
		}
	}
	data, err := json.MarshalIndent(result, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(data, '\n'), 0o644)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// convert writes the OpenAPI 3 form of an OpenAPI 2 description to a
// temporary file and returns its name.
func convert(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	// Slack's description lists a value's alternative schemas as an items
	// array (JSON Schema draft 4's tuple form), which OpenAPI 2 does not
	// have: they become anyOf; a list of types ["string", "null"] becomes
	// its first type other than null, nullable.
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if raw, err = json.Marshal(tupleItemsToAnyOf(generic)); err != nil {
		return "", err
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(raw, &doc2); err != nil {
		return "", fmt.Errorf("read OpenAPI 2 %s: %w", path, err)
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return "", fmt.Errorf("convert %s to OpenAPI 3: %w", path, err)
	}
	out, err := json.Marshal(doc3)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "openapi3-*.json")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.Write(out)
	return f.Name(), err
}

func tupleItemsToAnyOf(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if list, isList := e.([]any); isList && k == "items" {
				var alternatives []any
				for _, alt := range list {
					if m, ok := alt.(map[string]any); ok && m["type"] == "null" {
						continue // OpenAPI 3.0 has no null type
					}
					alternatives = append(alternatives, tupleItemsToAnyOf(alt))
				}
				if len(alternatives) == 1 {
					x[k] = alternatives[0]
				} else {
					x[k] = map[string]any{"anyOf": alternatives}
				}
				continue
			}
			if types, isList := e.([]any); isList && k == "type" {
				delete(x, k)
				for _, t := range types {
					if t == "null" {
						x["x-nullable"] = true
					} else if _, set := x[k]; !set {
						x[k] = t
					}
				}
				continue
			}
			x[k] = tupleItemsToAnyOf(e)
		}
		if x["type"] == "null" {
			delete(x, "type")
			x["x-nullable"] = true
		}
	case []any:
		for i, e := range x {
			x[i] = tupleItemsToAnyOf(e)
		}
	}
	return v
}
