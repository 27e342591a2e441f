package export

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// hashWriter writes to a file while hashing and counting what it wrote, so
// the manifest's sha256 and size cost no second read of the file.
type hashWriter struct {
	f *os.File
	h hash.Hash
	n int64
}

func newHashWriter(f *os.File) *hashWriter { return &hashWriter{f: f, h: sha256.New()} }

func (w *hashWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// fileSHA256 hashes a whole file (recovery checks a renamed file against
// its manifest this way).
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// syncDir fsyncs a directory, which makes the renames in it durable: a
// rename is only a change of the directory, and without this a crash could
// bring back the old names after the store already moved its cursor.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// exists reports whether path names anything (a dangling link counts).
func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// removeIfExists deletes path; a path that is already gone is fine.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// writeFileSync writes data to a new file and fsyncs it.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// CheckStoreDir reports whether dir looks like a store at all — a directory
// holding at least one file. A writable wal.Open would otherwise create an
// empty store where an operator mistyped -data.
func CheckStoreDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrNoStore, dir, err)
	}
	for _, e := range entries {
		if e.Name() != "LOCK" {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is empty", ErrNoStore, filepath.Clean(dir))
}
