package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"net/netip"
)

// Win is one winner record: the unit of durability and of audit. Wins of one
// (activity, SKU) form a hash chain: Prev is the Hash of the previous win (all
// zero for seq 1), and Hash covers every other field, so an edited, deleted,
// reordered or inserted record breaks the chain.
type Win struct {
	Activity     string
	SKU          string
	Seq          uint64 // 1..quota within (Activity, SKU), no gaps
	UID          uint64
	TimeUnixNano int64
	Client       netip.Addr // the client's address; the zero Addr when unknown
	Ticket       [TicketBytes]byte
	Prev         [32]byte
	Hash         [32]byte
}

// TicketBytes is the size of a raw ticket; clients see it as lowercase hex.
const TicketBytes = 16

// Layout of the canonical encoding, which is both what Hash covers and the
// body of the on-disk record (see package wal for the table).
const (
	winVersion     = 1
	winKind        = 'W'
	offSeq         = 2
	offUID         = offSeq + 8
	offTime        = offUID + 8
	offClient      = offTime + 8
	offTicket      = offClient + 16
	offPrev        = offTicket + TicketBytes
	offNames       = offPrev + 32
	maxNameBytes   = 64
	WinFixedBytes  = offNames
	MaxWinBodySize = offNames + 2 + 2*maxNameBytes
)

// ErrBadWin reports an encoded win that cannot be decoded.
var ErrBadWin = errors.New("engine: malformed win record")

// AppendCanonical appends the canonical encoding of w without its Hash. It
// does not allocate when dst has room for MaxWinBodySize more bytes.
func AppendCanonical(dst []byte, w *Win) []byte {
	var fixed [WinFixedBytes]byte
	fixed[0] = winVersion
	fixed[1] = winKind
	binary.BigEndian.PutUint64(fixed[offSeq:], w.Seq)
	binary.BigEndian.PutUint64(fixed[offUID:], w.UID)
	binary.BigEndian.PutUint64(fixed[offTime:], uint64(w.TimeUnixNano))
	if w.Client.IsValid() {
		a16 := w.Client.As16()
		copy(fixed[offClient:], a16[:])
	}
	copy(fixed[offTicket:], w.Ticket[:])
	copy(fixed[offPrev:], w.Prev[:])
	dst = append(dst, fixed[:]...)
	dst = append(dst, byte(len(w.Activity)))
	dst = append(dst, w.Activity...)
	dst = append(dst, byte(len(w.SKU)))
	dst = append(dst, w.SKU...)
	return dst
}

// DecodeCanonical parses a body written by AppendCanonical into w and returns
// the number of bytes it used. Activity and SKU are copied into new strings
// only when they differ from the ones already in w, so a caller decoding many
// wins of one SKU into the same Win does not allocate.
func DecodeCanonical(b []byte, w *Win) (int, error) {
	if len(b) < WinFixedBytes+2 || b[0] != winVersion || b[1] != winKind {
		return 0, ErrBadWin
	}
	w.Seq = binary.BigEndian.Uint64(b[offSeq:])
	w.UID = binary.BigEndian.Uint64(b[offUID:])
	w.TimeUnixNano = int64(binary.BigEndian.Uint64(b[offTime:]))
	var a16 [16]byte
	copy(a16[:], b[offClient:offClient+16])
	if a16 == ([16]byte{}) {
		w.Client = netip.Addr{}
	} else {
		w.Client = netip.AddrFrom16(a16).Unmap()
	}
	copy(w.Ticket[:], b[offTicket:offTicket+TicketBytes])
	copy(w.Prev[:], b[offPrev:offPrev+32])
	n := offNames
	act, n, ok := decodeName(b, n)
	if !ok {
		return 0, ErrBadWin
	}
	sku, n, ok := decodeName(b, n)
	if !ok {
		return 0, ErrBadWin
	}
	if string(act) != w.Activity {
		w.Activity = string(act)
	}
	if string(sku) != w.SKU {
		w.SKU = string(sku)
	}
	return n, nil
}

func decodeName(b []byte, at int) ([]byte, int, bool) {
	if at >= len(b) {
		return nil, at, false
	}
	n := int(b[at])
	at++
	if n == 0 || n > maxNameBytes || at+n > len(b) {
		return nil, at, false
	}
	return b[at : at+n], at + n, true
}

// ComputeHash returns the chain hash of w: SHA-256 over its canonical
// encoding, which includes Prev.
func ComputeHash(w *Win) [32]byte {
	var buf [MaxWinBodySize]byte
	return sha256.Sum256(AppendCanonical(buf[:0], w))
}

// TicketSigner makes and checks tickets: the first TicketBytes of
// HMAC-SHA256(key, activity 0 sku 0 seq uid). Only the holder of the key
// (the engine, and the auditor reading the store) can make a valid one, so a
// client cannot forge a ticket for a seq or uid it did not win. It keeps one
// reusable HMAC state and is therefore not safe for concurrent use: each
// shard owns its own.
type TicketSigner struct {
	mac hash.Hash
	buf [2*maxNameBytes + 2 + 16]byte
	sum [sha256.Size]byte
}

// NewTicketSigner returns a signer for key.
func NewTicketSigner(key []byte) *TicketSigner {
	return &TicketSigner{mac: hmac.New(sha256.New, key)}
}

// Sign returns the ticket for one win.
func (t *TicketSigner) Sign(activity, sku string, seq, uid uint64) [TicketBytes]byte {
	msg := append(t.buf[:0], activity...)
	msg = append(msg, 0)
	msg = append(msg, sku...)
	msg = append(msg, 0)
	msg = binary.BigEndian.AppendUint64(msg, seq)
	msg = binary.BigEndian.AppendUint64(msg, uid)
	t.mac.Reset()
	t.mac.Write(msg)
	sum := t.mac.Sum(t.sum[:0])
	var out [TicketBytes]byte
	copy(out[:], sum)
	return out
}

// Verify reports whether w carries the ticket the key would give it.
func (t *TicketSigner) Verify(w *Win) bool {
	want := t.Sign(w.Activity, w.SKU, w.Seq, w.UID)
	return hmac.Equal(want[:], w.Ticket[:])
}
