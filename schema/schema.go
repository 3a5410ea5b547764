// Package schema holds the gateway's GraphQL schema (SDL), embedded in the
// binary. The .graphql files in this directory are the source of truth.
package schema

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed *.graphql
var files embed.FS

// SDL returns the schema: every .graphql file of this package, in name order.
func SDL() string {
	var b strings.Builder
	names, _ := fs.Glob(files, "*.graphql") // sorted; cannot fail on an embed.FS
	for _, name := range names {
		data, _ := files.ReadFile(name)
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String()
}
