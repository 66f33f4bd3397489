package console_test

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/workflow"
)

// TestConsoleHoldsNoTypeList: the console's code names no trigger,
// condition, action or connector type; its forms come from GET /api/specs,
// so a type added to a registry appears in the builder with no console
// change.
func TestConsoleHoldsNoTypeList(t *testing.T) {
	var names []string
	names = append(names, action.Types()...)
	names = append(names, condition.Types()...)
	for _, tr := range workflow.Triggers() {
		names = append(names, tr.Type)
	}
	names = append(names, connector.TypeNames()...)
	assets := os.DirFS("assets")
	files, err := fs.Glob(assets, "*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no script in assets: %v", err)
	}
	for _, f := range files {
		code, err := fs.ReadFile(assets, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			for _, quoted := range []string{`"` + n + `"`, `'` + n + `'`, "`" + n + "`"} {
				if strings.Contains(string(code), quoted) {
					t.Errorf("%s names the type %s", f, n)
				}
			}
		}
	}
}
