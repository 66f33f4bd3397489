package storage

import (
	"database/sql"
	"time"
)

// nullString scans a nullable text column on both drivers.
type nullString struct{ sql.NullString }

func (n nullString) ptr() *string {
	if !n.Valid {
		return nil
	}
	s := n.String
	return &s
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// nullInt scans a nullable integer column (times in microseconds).
type nullInt struct{ sql.NullInt64 }

func (n nullInt) time() *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}
