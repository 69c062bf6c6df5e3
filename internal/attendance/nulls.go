package attendance

import (
	"database/sql"
	"time"
)

type nullInt struct{ sql.NullInt64 }

func (n nullInt) ptr() *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

type nullTime struct{ sql.NullTime }

func (n nullTime) ptr() *time.Time {
	if !n.Valid {
		return nil
	}
	v := n.Time.UTC()
	return &v
}
