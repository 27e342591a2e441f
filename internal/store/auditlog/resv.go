package auditlog

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"

	"seckill/internal/live/uidset"
)

// ErrReservations reports a stored reservation list that is missing, does
// not decode, or does not match the digest it is stored under.
var ErrReservations = errors.New("auditlog: reservation list")

const resvPrefix = "audit.resv/"

// maxResvBytes bounds the decoded size of a stored list: 100 million uids at
// the widest varint gap. A larger claim is corruption, not a list.
const maxResvBytes = 100_000_000 * binary.MaxVarintLen64

func resvKey(digestHex string) string { return resvPrefix + digestHex }

// StoreReservations stores set under its digest unless a list is already
// stored there: lists are immutable and content-addressed, so one write per
// distinct list is enough however often it is put back in force. The write
// is synced; a control record naming the list is appended only after it
// returns, so no record ever names a list the store lacks.
func StoreReservations(store Store, set *uidset.Set) error {
	d := set.Digest()
	key := resvKey(hex.EncodeToString(d[:]))
	found := false
	if err := store.ScanMeta(key, func(string, []byte) error { found = true; return nil }); err != nil {
		return fmt.Errorf("auditlog: look up %s: %w", key, err)
	}
	if found {
		return nil
	}
	if err := store.PutMeta(key, encodeUIDs(set.Sorted())); err != nil {
		return fmt.Errorf("auditlog: store %s: %w", key, err)
	}
	return nil
}

// encodeUIDs is zstd(count, first uid, gaps), all unsigned varints; sorted
// uids have small gaps, so a list costs a few bytes per uid.
func encodeUIDs(uids []uint64) []byte {
	raw := make([]byte, 0, binary.MaxVarintLen64*(len(uids)+1))
	raw = binary.AppendUvarint(raw, uint64(len(uids)))
	prev := uint64(0)
	for _, u := range uids {
		raw = binary.AppendUvarint(raw, u-prev)
		prev = u
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(fmt.Sprintf("auditlog: zstd writer with constant options: %v", err))
	}
	defer enc.Close()
	return enc.EncodeAll(raw, nil)
}

func decodeUIDs(blob []byte) ([]uint64, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxResvBytes))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	raw, err := dec.DecodeAll(blob, nil)
	if err != nil {
		return nil, err
	}
	n, k := binary.Uvarint(raw)
	if k <= 0 || n > uint64(len(raw)) {
		return nil, errors.New("bad count")
	}
	raw = raw[k:]
	uids := make([]uint64, 0, n)
	prev := uint64(0)
	for i := uint64(0); i < n; i++ {
		gap, k := binary.Uvarint(raw)
		if k <= 0 || (i > 0 && gap == 0) || prev+gap < prev {
			return nil, fmt.Errorf("bad gap at uid %d", i)
		}
		raw = raw[k:]
		prev += gap
		uids = append(uids, prev)
	}
	if len(raw) != 0 {
		return nil, fmt.Errorf("%d bytes after the last uid", len(raw))
	}
	return uids, nil
}

// LoadReservations reads the list stored under digestHex and checks that it
// is the list the digest names. Errors wrap ErrReservations.
func LoadReservations(store Store, digestHex string) (*uidset.Set, error) {
	key := resvKey(digestHex)
	var uids []uint64
	var decodeErr error
	found := false
	err := store.ScanMeta(key, func(k string, v []byte) error {
		if k == key {
			found = true
			uids, decodeErr = decodeUIDs(v)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w %s: %w", ErrReservations, digestHex, err)
	case !found:
		return nil, fmt.Errorf("%w %s: not stored", ErrReservations, digestHex)
	case decodeErr != nil:
		return nil, fmt.Errorf("%w %s: does not decode: %w", ErrReservations, digestHex, decodeErr)
	}
	set := uidset.FromSlice(uids)
	if d := set.Digest(); hex.EncodeToString(d[:]) != digestHex {
		return nil, fmt.Errorf("%w %s: stored uids hash to %x", ErrReservations, digestHex, d)
	}
	return set, nil
}
