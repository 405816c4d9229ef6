// Package locales holds the message files, embedded: one go-i18n TOML file
// per flow and language ("daftar.id.toml"). Indonesian is the source.
package locales

import "embed"

// FS holds every *.toml message file.
//
//go:embed *.toml
var FS embed.FS
