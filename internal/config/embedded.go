package config

import (
	"slices"
	"time"

	"github.com/BurntSushi/toml"
)

// ParseEmbedded is Parse for a configuration written inside a larger file,
// such as the cluster file of package cluster, whose own top-level tables
// are named in foreign: keys under them are the larger file's business and
// are not reported as unknown. Every other key still must match a field,
// so a typo in the shared part is an error as in a plain config file.
func ParseEmbedded(data []byte, baseDir string, now time.Time, foreign ...string) (*Config, error) {
	return parse(data, baseDir, now, foreign)
}

// withoutTables drops the keys whose first part is one of tables.
func withoutTables(keys []toml.Key, tables []string) []toml.Key {
	if len(tables) == 0 {
		return keys
	}
	return slices.DeleteFunc(slices.Clone(keys), func(k toml.Key) bool {
		return len(k) > 0 && slices.Contains(tables, k[0])
	})
}
