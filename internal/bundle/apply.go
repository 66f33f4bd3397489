package bundle

import (
	"context"
	"fmt"

	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
)

// Apply makes the changes of a plan in one transaction: all of them or, on
// any error, none. A validation error of a write (a business-hours workflow
// the new schedule cannot serve, say) names the object's path in the file.
func (s *Service) Apply(ctx context.Context, ws int64, plan *Plan) error {
	if plan.Empty() {
		return nil
	}
	return s.DB.InTx(ctx, func(tx *storage.Tx) error {
		for i, w := range plan.writes {
			err := w.do(ctx, tx)
			if err == nil {
				continue
			}
			if ve, ok := validate.As(err); ok {
				var errs validate.Errors
				errs.Merge(w.path, ve)
				fe, _ := validate.As(errs.Err())
				return filePaths(fe)
			}
			c := plan.Changes[i]
			return fmt.Errorf("%s %s %q: %w", c.Action, c.Kind, c.Name, err)
		}
		return nil
	})
}
