package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/bits"
	"net/netip"
	"slices"
)

// Blocklist is a set of uids and client addresses refused outright. It is
// immutable once built, so one list is shared by every shard it is in force
// on, and read by them concurrently. Its Digest names it in the log: a
// ControlBlocklist record carries the digest, and the list itself is stored
// under it (package auditlog).
type Blocklist struct {
	uids   []uint64   // sorted, unique
	addrs  [][16]byte // sorted, unique; IPv4 as the IPv4-mapped form
	digest [32]byte
}

// NewBlocklist returns the list of uids and addrs (in any order, repeats
// allowed; IPv4-mapped IPv6 addresses are taken as IPv4).
func NewBlocklist(uids []uint64, addrs []netip.Addr) *Blocklist {
	b := &Blocklist{uids: slices.Clone(uids), addrs: make([][16]byte, 0, len(addrs))}
	slices.Sort(b.uids)
	b.uids = slices.Compact(b.uids)
	for _, a := range addrs {
		if a.IsValid() {
			b.addrs = append(b.addrs, a.Unmap().As16())
		}
	}
	slices.SortFunc(b.addrs, func(x, y [16]byte) int { return bytes.Compare(x[:], y[:]) })
	b.addrs = slices.Compact(b.addrs)
	b.digest = sha256.Sum256(b.AppendBinary(nil))
	return b
}

// Blocked reports whether uid or client is on the list. A nil list blocks
// nobody. It does not allocate.
func (b *Blocklist) Blocked(uid uint64, client netip.Addr) bool {
	if b == nil {
		return false
	}
	if _, ok := slices.BinarySearch(b.uids, uid); ok {
		return true
	}
	if len(b.addrs) == 0 || !client.IsValid() {
		return false
	}
	key := client.Unmap().As16()
	lo, hi := 0, len(b.addrs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(b.addrs[mid][:], key[:]); {
		case c == 0:
			return true
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return false
}

// Digest is the SHA-256 of the list's binary form (AppendBinary).
func (b *Blocklist) Digest() [32]byte { return b.digest }

// Len is the number of entries, uids and addresses.
func (b *Blocklist) Len() int { return len(b.uids) + len(b.addrs) }

// UIDs returns the blocked uids, sorted.
func (b *Blocklist) UIDs() []uint64 { return slices.Clone(b.uids) }

// Addrs returns the blocked addresses, sorted.
func (b *Blocklist) Addrs() []netip.Addr {
	out := make([]netip.Addr, len(b.addrs))
	for i, a := range b.addrs {
		out[i] = netip.AddrFrom16(a).Unmap()
	}
	return out
}

// blocklistVersion starts the binary form, so a later layout can be told
// from this one.
const blocklistVersion = 1

// AppendBinary appends the list's binary form: a version byte, the uid
// count and the address count (unsigned varints), the uids as varint gaps
// from the previous one (the first from 0), and the addresses, 16 bytes
// each. It is canonical: one list has one form.
func (b *Blocklist) AppendBinary(dst []byte) []byte {
	dst = append(dst, blocklistVersion)
	dst = binary.AppendUvarint(dst, uint64(len(b.uids)))
	dst = binary.AppendUvarint(dst, uint64(len(b.addrs)))
	prev := uint64(0)
	for _, u := range b.uids {
		dst = binary.AppendUvarint(dst, u-prev)
		prev = u
	}
	for _, a := range b.addrs {
		dst = append(dst, a[:]...)
	}
	return dst
}

// ErrBadBlocklist reports a stored blocklist that does not decode.
var ErrBadBlocklist = errors.New("engine: malformed blocklist")

// DecodeBlocklist parses a binary form written by AppendBinary. Anything
// but the canonical form (entries out of order or repeated, bytes left
// over) is ErrBadBlocklist.
func DecodeBlocklist(p []byte) (*Blocklist, error) {
	if len(p) == 0 || p[0] != blocklistVersion {
		return nil, ErrBadBlocklist
	}
	in := p[1:]
	nu, k := binary.Uvarint(in)
	if !minimalUvarint(nu, k) || nu > uint64(len(in)) {
		return nil, ErrBadBlocklist
	}
	in = in[k:]
	na, k := binary.Uvarint(in)
	if !minimalUvarint(na, k) || na > uint64(len(in))/16 {
		return nil, ErrBadBlocklist
	}
	in = in[k:]
	b := &Blocklist{uids: make([]uint64, 0, nu), addrs: make([][16]byte, 0, na)}
	prev := uint64(0)
	for i := uint64(0); i < nu; i++ {
		gap, k := binary.Uvarint(in)
		if !minimalUvarint(gap, k) || (i > 0 && gap == 0) || prev+gap < prev {
			return nil, ErrBadBlocklist
		}
		in = in[k:]
		prev += gap
		b.uids = append(b.uids, prev)
	}
	if uint64(len(in)) != na*16 {
		return nil, ErrBadBlocklist
	}
	for i := uint64(0); i < na; i++ {
		var a [16]byte
		copy(a[:], in[16*i:])
		if i > 0 && bytes.Compare(b.addrs[i-1][:], a[:]) >= 0 {
			return nil, ErrBadBlocklist
		}
		b.addrs = append(b.addrs, a)
	}
	b.digest = sha256.Sum256(p)
	return b, nil
}

// minimalUvarint reports whether binary.Uvarint read v from k bytes, the
// fewest that hold it: an overlong varint would give one list two forms.
func minimalUvarint(v uint64, k int) bool { return k > 0 && k == (bits.Len64(v|1)+6)/7 }
