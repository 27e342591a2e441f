package admin

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"seckill/internal/config"
)

// ErrToken reports an admin token that could not be set up.
var ErrToken = errors.New("admin: token")

// generatedTokenBytes is the randomness of a generated token: 256 bits,
// written as 64 hex digits so that it survives a shell and a config file.
const generatedTokenBytes = 32

// Token returns the bearer token the admin API requires: [admin] token or
// token_file when set; otherwise a fresh random token, written to
// <data_dir>/admin.token with mode 0600 (only the engine's user can read it)
// before the admin API serves, and its path logged. A new token at every
// start means a token copied out of the file stops working at the next
// restart; commands read the file each time (package adminclient).
func Token(cfg *config.Config, log *slog.Logger) ([]byte, error) {
	if len(cfg.Admin.TokenBytes) > 0 {
		return cfg.Admin.TokenBytes, nil
	}
	raw := make([]byte, generatedTokenBytes)
	rand.Read(raw)
	token := []byte(hex.EncodeToString(raw))
	path := filepath.Join(cfg.Server.DataDir, config.AdminTokenName)
	if err := writePrivate(path, token); err != nil {
		return nil, fmt.Errorf("%w: write %s: %w", ErrToken, path, err)
	}
	log.Info("admin token generated; commands and `curl -H \"Authorization: Bearer $(cat FILE)\"` read it from this file", "file", path)
	return token, nil
}

// writePrivate replaces path with data, readable by the owner only. It
// writes a temporary file and renames it over path, so a command reading the
// token while the engine starts sees the old token or the new one, never
// half of one.
func writePrivate(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".admin.token-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(append(data, '\n'))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
