// Package lotterycheck is what the socket tests of the fair opening check a
// running engine with, from the outside: the lottery fields of /stock, and
// the draw's order written from the SPEC's words ("ordered by SHA-256(seed ‖
// beacon ‖ uid as 8 bytes big-endian), ascending") with crypto/sha256 alone,
// apart from engine.DrawOrder, so a test comparing the two can fail.
package lotterycheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

// Stock is what /stock says of a SKU's lottery.
type Stock struct {
	Commitment string `json:"lottery_commitment"`
	CloseMs    int64  `json:"lottery_close_unix_ms"`
	Entrants   int    `json:"lottery_entrants"`
	Beacon     string `json:"lottery_beacon"`
	Seed       string `json:"lottery_seed"`
}

// GetStock reads /stock?sku=SKU from the engine at addr.
func GetStock(addr, sku string) (Stock, error) {
	resp, err := httpget.Get(addr, "/stock?sku="+sku, 5*time.Second)
	if err != nil {
		return Stock{}, err
	}
	var s Stock
	if err := json.Unmarshal(resp.Body, &s); err != nil {
		return s, fmt.Errorf("lotterycheck: stock %s: %q: %w", sku, resp.Body, err)
	}
	return s, nil
}

// Order is the draw of uids under the seed and beacon /stock shows (hex).
// The seed must open the commitment, or Order fails.
func (s Stock) Order(uids []uint64) ([]uint64, error) {
	seed, err := hex.DecodeString(s.Seed)
	if err != nil || len(seed) != 32 {
		return nil, fmt.Errorf("lotterycheck: seed %q is not 32 bytes of hex", s.Seed)
	}
	if sum := sha256.Sum256(seed); hex.EncodeToString(sum[:]) != s.Commitment {
		return nil, fmt.Errorf("lotterycheck: the seed %s does not open the commitment %s", s.Seed, s.Commitment)
	}
	beacon, err := hex.DecodeString(s.Beacon)
	if err != nil {
		return nil, fmt.Errorf("lotterycheck: beacon %q: %w", s.Beacon, err)
	}
	return Reference(uids, seed, beacon), nil
}

// Reference orders uids by SHA-256(seed ‖ beacon ‖ uid as 8 bytes
// big-endian), ascending.
func Reference(uids []uint64, seed, beacon []byte) []uint64 {
	type keyed struct {
		key [32]byte
		uid uint64
	}
	ks := make([]keyed, len(uids))
	for i, uid := range uids {
		msg := append(append(append([]byte{}, seed...), beacon...), binary.BigEndian.AppendUint64(nil, uid)...)
		ks[i] = keyed{sha256.Sum256(msg), uid}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return bytes.Compare(a.key[:], b.key[:]) })
	out := make([]uint64, len(ks))
	for i := range ks {
		out[i] = ks[i].uid
	}
	return out
}

// MustGetStock is GetStock for a test: a failure ends the test.
func MustGetStock(t testing.TB, addr, sku string) Stock {
	t.Helper()
	s, err := GetStock(addr, sku)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// MustOrder is Order for a test: a failure ends the test.
func (s Stock) MustOrder(t testing.TB, uids []uint64) []uint64 {
	t.Helper()
	order, err := s.Order(uids)
	if err != nil {
		t.Fatal(err)
	}
	return order
}
