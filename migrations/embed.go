// Package migrations embeds the numbered SQL migrations of both dialects.
// File names are NNNN_name.sql; the same number must exist in mysql/ and sqlite/.
package migrations

import "embed"

// FS holds mysql/*.sql and sqlite/*.sql.
//
//go:embed mysql/*.sql sqlite/*.sql
var FS embed.FS
