package auditlog

import (
	"encoding/hex"
	"errors"
	"fmt"

	"seckill/engine"
)

// ErrBlocklist reports a stored blocklist that is missing, does not decode,
// or does not match the digest it is stored under.
var ErrBlocklist = errors.New("auditlog: blocklist")

const blockPrefix = "audit.block/"

func blockKey(digestHex string) string { return blockPrefix + digestHex }

// StoreBlocklist stores b under its digest unless a list is already stored
// there (lists are immutable and content-addressed). The write is synced; a
// control record naming the list is appended only after it returns.
func StoreBlocklist(store Store, b *engine.Blocklist) error {
	d := b.Digest()
	key := blockKey(hex.EncodeToString(d[:]))
	found := false
	if err := store.ScanMeta(key, func(k string, _ []byte) error { found = found || k == key; return nil }); err != nil {
		return fmt.Errorf("auditlog: look up %s: %w", key, err)
	}
	if found {
		return nil
	}
	if err := store.PutMeta(key, b.AppendBinary(nil)); err != nil {
		return fmt.Errorf("auditlog: store %s: %w", key, err)
	}
	return nil
}

// LoadBlocklist reads the list stored under digestHex and checks that it is
// the list the digest names. Errors wrap ErrBlocklist.
func LoadBlocklist(store Store, digestHex string) (*engine.Blocklist, error) {
	key := blockKey(digestHex)
	var raw []byte
	found := false
	err := store.ScanMeta(key, func(k string, v []byte) error {
		if k == key {
			found, raw = true, append([]byte(nil), v...)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w %s: %w", ErrBlocklist, digestHex, err)
	case !found:
		return nil, fmt.Errorf("%w %s: not stored", ErrBlocklist, digestHex)
	}
	b, err := engine.DecodeBlocklist(raw)
	if err != nil {
		return nil, fmt.Errorf("%w %s: does not decode: %w", ErrBlocklist, digestHex, err)
	}
	if d := b.Digest(); hex.EncodeToString(d[:]) != digestHex {
		return nil, fmt.Errorf("%w %s: stored list hashes to %x", ErrBlocklist, digestHex, d)
	}
	return b, nil
}
