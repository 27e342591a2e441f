package export

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// maxNameBytes bounds an export file's name: 200 leaves room for the
// ".manifest.json" and ".<run id>.tmp" suffixes within the 255 bytes most
// file systems allow.
const maxNameBytes = 200

// checkName accepts only a bare file name: no directory part, not "." or
// "..", no leading dot (hidden files and the run's temporaries), and not a
// name that another export's manifest or temporary file could take.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrName)
	case len(name) > maxNameBytes:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrName, len(name), maxNameBytes)
	case strings.ContainsAny(name, "/\\\x00") || filepath.Base(name) != name:
		return fmt.Errorf("%w: %q is not a bare file name (files go to the export directory)", ErrName, name)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("%w: %q starts with a dot", ErrName, name)
	case strings.HasSuffix(name, ManifestSuffix) || strings.HasSuffix(name, ".tmp"):
		return fmt.Errorf("%w: %q ends like a manifest or a temporary file", ErrName, name)
	}
	return nil
}

// checkDir checks that dir is neither the store's directory nor inside it,
// after resolving symbolic links (so a link cannot smuggle it in): a file
// written among the store's, named like Pebble's MANIFEST or CURRENT, would
// make the store unopenable. dir need not exist yet. It returns dir
// absolute.
func checkDir(dir, storeDir string) (string, error) {
	if dir == "" {
		return "", fmt.Errorf("%w: no export directory", ErrDir)
	}
	real, err := realPath(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrDir, err)
	}
	if storeDir != "" {
		store, err := realPath(storeDir)
		if err != nil {
			return "", fmt.Errorf("%w: store directory: %w", ErrDir, err)
		}
		if rel, err := filepath.Rel(store, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", fmt.Errorf("%w: %s is the store's directory %s or inside it; export files there could damage the store", ErrDir, dir, storeDir)
		}
	}
	return real, nil
}

// realPath is p absolute with the symbolic links of its longest existing
// ancestor resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for {
		r, err := filepath.EvalSymlinks(abs)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return "", err
		}
		rest = filepath.Join(filepath.Base(abs), rest)
		abs = parent
	}
}
