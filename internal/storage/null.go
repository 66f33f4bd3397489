package storage

import "database/sql"

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
