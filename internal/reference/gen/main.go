// Command gen writes the workflows reference (docs/workflows.md) from the
// registries: go generate ./internal/reference.
package main

import (
	"fmt"
	"os"

	"github.com/deskflow/deskflow/internal/reference"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen FILE")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], reference.Markdown(reference.Build()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
