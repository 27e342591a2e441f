package config

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Load reads the TOML file at path and returns it parsed, resolved, defaulted
// and validated. Relative reservations_file and secret_file paths are taken
// against the file's directory, so a config and its companions move together.
// now stands for the process start wherever an activity says start = "now".
func Load(path string, now time.Time) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: load: %w", err)
	}
	c, err := Parse(data, filepath.Dir(path), now)
	if err != nil {
		return nil, fmt.Errorf("config: load %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes data as a TOML configuration whose relative paths are taken
// against baseDir, then resolves, defaults and validates it like Load. A
// decode failure wraps ErrSyntax and names the line and column; anything else
// wrong, unknown keys included, is reported all at once as Problems wrapping
// ErrInvalid.
func Parse(data []byte, baseDir string, now time.Time) (*Config, error) {
	return parse(data, baseDir, now, nil)
}

// parse is Parse, except that keys under the top-level tables named in
// foreign are not reported as unknown (see ParseEmbedded).
func parse(data []byte, baseDir string, now time.Time, foreign []string) (*Config, error) {
	c := &Config{}
	meta, err := toml.Decode(string(data), c)
	if err != nil {
		return nil, decodeError(err)
	}
	c.reportUnknownKeys(withoutTables(meta.Undecoded(), foreign))
	c.Server.drainDelayOff = meta.IsDefined("server", "drain_delay") && c.Server.DrainDelay == 0
	c.BaseDir = baseDir
	c.resolve(baseDir, now)
	c.EnsureDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// reportUnknownKeys records each key that matched no field, so that a typo
// is an error rather than a silent default. Keys inside an unknown table are
// covered by the table's own report.
func (c *Config) reportUnknownKeys(keys []toml.Key) {
	var reported []string
	for _, key := range keys {
		name := key.String()
		covered := false
		for _, table := range reported {
			if strings.HasPrefix(name, table+".") {
				covered = true
				break
			}
		}
		if !covered {
			c.resolveProblems = append(c.resolveProblems, Problem{name, "unknown key"})
			reported = append(reported, name)
		}
	}
}

//go:embed demo.toml
var demoTOML []byte

// Demo returns the embedded demo configuration: a local listener, no
// authentication and one open sale of three items that starts at now and
// lasts a day. It needs no files, and a test keeps it valid.
func Demo(now time.Time) *Config {
	c, err := Parse(demoTOML, ".", now)
	if err != nil {
		panic(fmt.Sprintf("config: the embedded demo.toml is invalid: %v", err))
	}
	return c
}

// decodeError turns a TOML library error into an ErrSyntax error that names
// the line and column, which is what an operator needs to find the mistake.
func decodeError(err error) error {
	var parseErr toml.ParseError
	if errors.As(err, &parseErr) {
		pos := parseErr.Position
		if parseErr.LastKey != "" {
			return fmt.Errorf("config: decode: line %d, column %d (key %s): %s: %w",
				pos.Line, pos.Col, parseErr.LastKey, parseErr.Message, ErrSyntax)
		}
		return fmt.Errorf("config: decode: line %d, column %d: %s: %w",
			pos.Line, pos.Col, parseErr.Message, ErrSyntax)
	}
	return fmt.Errorf("config: decode: %v: %w", err, ErrSyntax)
}
