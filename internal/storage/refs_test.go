package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// CheckRefs looks up more distinct ids than one statement may bind (SQLite
// takes 32,766 variables, PostgreSQL 65,535) and reports the missing ones
// in the order of the references, each reference once.
func TestCheckRefsBeyondTheVariableLimit(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, wsID := storagetest.Open(t, b.URL(t))
			tag, err := db.CreateNamed(ctx, storage.Tags, wsID, "Billing")
			if err != nil {
				t.Fatal(err)
			}
			const unknown = 70_000
			var refs []param.Ref
			for i := 0; i < unknown; i++ {
				refs = append(refs, param.Ref{Path: fmt.Sprint(i), Kind: param.KindTag, ID: fmt.Sprintf("t%d", i)})
				if i%10_000 == 0 {
					refs = append(refs, param.Ref{Path: "known", Kind: param.KindTag, ID: tag.ID})
				}
			}
			refs = append(refs, param.Ref{Path: "again", Kind: param.KindTag, ID: "t0"})
			problems, err := db.CheckRefs(ctx, wsID, refs)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != unknown+1 {
				t.Fatalf("%d problems, want %d", len(problems), unknown+1)
			}
			for i, p := range problems[:unknown] {
				if p.Ref.Path != fmt.Sprint(i) {
					t.Fatalf("problem %d is at %s, want %d: %s", i, p.Ref.Path, i, p.Message)
				}
			}
			if last := problems[unknown]; last.Ref.Path != "again" || last.Message != `no tag with id "t0" in this workspace` {
				t.Errorf("last problem %+v", last)
			}
		})
	}
}
