package engine

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// MaxBeaconBytes bounds a lottery beacon: a drand round's randomness is 32
// bytes; 64 leaves room for other public sources (a block hash, a SHA-512)
// while a draw record stays small.
const MaxBeaconBytes = 64

// LotteryKey is an entrant's place in a draw: SHA-256(seed ‖ beacon ‖ uid as
// 8 bytes big-endian). Entrants are ordered by it, ascending (SPEC, "Fair
// opening"); anyone holding the seed and the beacon can compute it for any
// uid.
func LotteryKey(seed [32]byte, beacon []byte, uid uint64) [32]byte {
	var buf [32 + MaxBeaconBytes + 8]byte
	n := copy(buf[:], seed[:])
	n += copy(buf[n:], beacon[:min(len(beacon), MaxBeaconBytes)])
	binary.BigEndian.PutUint64(buf[n:], uid)
	return sha256.Sum256(buf[:n+8])
}

// drawKey is an entrant while a draw sorts them: the first 8 bytes of its
// key decide almost every comparison without touching the rest.
type drawKey struct {
	prefix uint64
	uid    uint64
}

// DrawOrder is the draw: it returns the entrants ordered by LotteryKey
// ascending (two equal keys, which would need a SHA-256 collision or a uid
// listed twice, by uid). It depends only on the set of entrants, the seed and
// the beacon — never on the order entrants arrived in — so the live shard,
// recovery and replay all derive the same order. entrants is not modified.
func DrawOrder(entrants []uint64, seed [32]byte, beacon []byte) []uint64 {
	keys := make([]drawKey, len(entrants))
	var buf [32 + MaxBeaconBytes + 8]byte
	n := copy(buf[:], seed[:])
	n += copy(buf[n:], beacon[:min(len(beacon), MaxBeaconBytes)])
	for i, uid := range entrants {
		binary.BigEndian.PutUint64(buf[n:], uid)
		sum := sha256.Sum256(buf[:n+8])
		keys[i] = drawKey{prefix: binary.BigEndian.Uint64(sum[:8]), uid: uid}
	}
	keys = sortByPrefix(keys, make([]drawKey, len(keys)))
	// Equal prefixes (about one pair in a million entrants shares 64
	// bits) are ordered by the whole key.
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].prefix == keys[i].prefix {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(keys[i:j], func(a, b drawKey) int {
				ka, kb := LotteryKey(seed, beacon, a.uid), LotteryKey(seed, beacon, b.uid)
				if c := bytes.Compare(ka[:], kb[:]); c != 0 {
					return c
				}
				return cmp.Compare(a.uid, b.uid)
			})
		}
		i = j
	}
	out := make([]uint64, len(keys))
	for i := range keys {
		out[i] = keys[i].uid
	}
	return out
}

// LotteryCommitment is the commitment to a seed: SHA-256(seed), published
// before the window opens.
func LotteryCommitment(seed [32]byte) [32]byte { return sha256.Sum256(seed[:]) }

// sortByPrefix sorts keys by prefix with a least-significant-digit radix
// sort over 8-bit digits, using scratch (same length) as the other buffer,
// and returns the sorted slice. Keys are uniform hashes, so a comparison
// sort would pay a branch miss per comparison; eight linear passes do not.
func sortByPrefix(keys, scratch []drawKey) []drawKey {
	var counts [8][256]int
	for i := range keys {
		p := keys[i].prefix
		for d := range 8 {
			counts[d][byte(p>>(8*d))]++
		}
	}
	src, dst := keys, scratch
	for d := range 8 {
		var offs [256]int
		sum := 0
		for b := range 256 {
			offs[b] = sum
			sum += counts[d][b]
		}
		shift := 8 * d
		for i := range src {
			b := byte(src[i].prefix >> shift)
			dst[offs[b]] = src[i]
			offs[b]++
		}
		src, dst = dst, src
	}
	return src
}
