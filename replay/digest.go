package replay

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
)

// Head is where one SKU's hash chain ends: its number of wins and the Hash
// of its last win (all zero when it has none).
type Head struct {
	SKU  string
	Wins uint64
	Hash [32]byte
}

// ActivityDigest is the one value an operator publishes per activity after a
// sale: SHA-256 over its SKUs' chain heads in ascending SKU order, each as
// the SKU's bytes, a zero byte, the win count (8 bytes big-endian) and the
// head hash. Anyone holding the exported winners can recompute every chain,
// hence the heads, hence this digest, and compare. It is returned as
// lowercase hex.
func ActivityDigest(heads []Head) string {
	sorted := slices.Clone(heads)
	slices.SortFunc(sorted, func(a, b Head) int {
		switch {
		case a.SKU < b.SKU:
			return -1
		case a.SKU > b.SKU:
			return 1
		}
		return 0
	})
	h := sha256.New()
	var n [8]byte
	for _, hd := range sorted {
		h.Write([]byte(hd.SKU))
		h.Write([]byte{0})
		binary.BigEndian.PutUint64(n[:], hd.Wins)
		h.Write(n[:])
		h.Write(hd.Hash[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}
