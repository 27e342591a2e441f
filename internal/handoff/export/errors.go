package export

import "errors"

var (
	// ErrFormat reports an unknown -format.
	ErrFormat = errors.New("export: unknown format")
	// ErrExists reports an output file (or its manifest) that is already
	// there: an export never overwrites one, because a file the mall may
	// already have read must not change under it.
	ErrExists = errors.New("export: output already exists")
	// ErrCursor reports a stored cursor or intent that does not fit the
	// store (a cursor past a chain's head: the store was replaced).
	ErrCursor = errors.New("export: cursor does not match the store")
	// ErrRecord reports a line of an export file that does not parse.
	ErrRecord = errors.New("export: malformed record")
	// ErrChain reports records whose hash chain does not verify.
	ErrChain = errors.New("export: chain does not verify")
	// ErrName reports an export target that is not a bare file name.
	ErrName = errors.New("export: invalid file name")
	// ErrDir reports an export directory that cannot be used: missing,
	// unwritable, or the store's own directory or inside it.
	ErrDir = errors.New("export: invalid export directory")
	// ErrCursorName reports a cursor name outside [A-Za-z0-9_-]{1,64}.
	ErrCursorName = errors.New("export: invalid cursor name")
	// ErrNoStore reports a data directory that holds no store.
	ErrNoStore = errors.New("export: no store")
)
