package wal

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrKeyExists reports SetTicketKey on a store that already has another key.
var ErrKeyExists = errors.New("wal: store already has a different ticket key")

// SetTicketKey makes key the store's ticket-signing key. It is for tools
// that must produce the same store twice from the same input — the synthetic
// log generator and the audit's golden tests — since TicketKey otherwise
// draws a random key. A store that already has a key keeps it: asking for a
// different one is ErrKeyExists (re-keying would make every stored ticket
// fail to verify), asking for the same one is a no-op.
func (l *Log) SetTicketKey(key []byte) error {
	if len(key) != 32 {
		return fmt.Errorf("wal: ticket key is %d bytes, want 32", len(key))
	}
	l.keyMu.Lock()
	defer l.keyMu.Unlock()
	old, ok, err := l.GetMeta(ticketMetaKey)
	switch {
	case err != nil:
		return err
	case ok && bytes.Equal(old, key):
	case ok:
		return ErrKeyExists
	default:
		if err := l.putMeta(ticketMetaKey, key); err != nil {
			return err
		}
	}
	l.ticketKey = append([]byte(nil), key...)
	return nil
}
