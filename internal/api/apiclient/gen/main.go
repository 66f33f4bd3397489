// Command gen writes the OpenAPI description of deskflow's API (as a
// server of the default configuration serves it) to the file named by its
// argument: the input of the generated client (go generate).
package main

import (
	"fmt"
	"os"

	"github.com/deskflow/deskflow/internal/api"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen openapi.json")
		os.Exit(2)
	}
	doc, err := api.Description()
	if err == nil {
		err = os.WriteFile(os.Args[1], doc, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
