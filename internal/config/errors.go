package config

import (
	"errors"
	"strings"
)

// The sentinels callers match with errors.Is.
var (
	// ErrInvalid marks a configuration that decoded but breaks a rule; the
	// error is a Problems value that lists every broken rule.
	ErrInvalid = errors.New("config: invalid configuration")
	// ErrSyntax marks a file that is not well-formed TOML or whose value types
	// do not fit the fields; the error names the line and column.
	ErrSyntax = errors.New("config: malformed TOML")
)

// Problem is one broken rule, named by the path of the field that breaks it.
type Problem struct {
	Field   string // e.g. "activity[0].item[2].stock"
	Message string // e.g. "must be > 0"
}

// String renders the problem as "field: message".
func (p Problem) String() string { return p.Field + ": " + p.Message }

// Problems is every broken rule of one configuration. It is an error that
// wraps ErrInvalid, so callers can both test for ErrInvalid and, with
// errors.As, list the fields.
type Problems []Problem

// Error lists one problem per line so that an operator sees them all.
func (ps Problems) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalid.Error())
	b.WriteString(":")
	for _, p := range ps {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (ps Problems) Unwrap() error { return ErrInvalid }

// errOrNil returns nil for an empty list, because a nil Problems stored in an
// error interface would not compare equal to nil.
func (ps Problems) errOrNil() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
