package replay

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"seckill/engine"
	"seckill/wal"
)

// testdata/store-v1 is a store written on 2026-12-01 by the version of that
// day (main at a692470), with
//
//	go run ./cmd/seckill-loggen -data replay/testdata/store-v1 -wins 40 -skus 3 -stock 20 \
//	    -seed 42 -limit activity -reservation -release 3 -changes -batch 4
//
// (limit = activity, a reservation list replaced mid-sale, a pause and a
// resume, release_per_sec 3). It is never regenerated: a later version must
// keep recovering and auditing it, with the same chain heads and digest,
// which `seckill replay -data replay/testdata/store-v1` printed that day.
const (
	storeV1        = "testdata/store-v1"
	storeV1Digest  = "5d3465061f3878a4ac13196df07f53069bffc03bbd20355fbadf92abf8dc5844"
	storeV1Records = 40
)

var storeV1Heads = map[string]struct {
	wins uint64
	head string
}{
	"sku-0000": {15, "3494137c5812ae5515e0995ff84ceab221c41895aea5a54874552fa273d97450"},
	"sku-0001": {9, "6e7b93d1aee71c7a2cd3d1370f13ee9d85837b25472e1e10c5495fb0f2a2ee19"},
	"sku-0002": {16, "4e2e115070bb28054351c659886fb96d5a0a462f374eaefc31f29f83b4c598b0"},
}

// openStoreV1 opens a copy of the committed store, so that no test writes
// to testdata (pebble takes a lock file and may replay its log).
func openStoreV1(t *testing.T) *wal.Log {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	if err := os.CopyFS(dir, os.DirFS(storeV1)); err != nil {
		t.Fatal(err)
	}
	l, err := wal.Open(dir, wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open the committed store: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestAuditAcceptsCommittedStore: the audit of the committed store passes
// every check and finds the chain heads and digest of the day it was made.
func TestAuditAcceptsCommittedStore(t *testing.T) {
	rep, err := Audit(openStoreV1(t), Options{Published: map[string]string{"gen": storeV1Digest}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Records != storeV1Records {
		t.Fatalf("audit: ok=%v, %d records; want ok, %d: %s", rep.OK, rep.Records, storeV1Records, fmtFindings(findings(rep)))
	}
	if len(rep.SKUs) != len(storeV1Heads) {
		t.Fatalf("%d SKU rows, want %d", len(rep.SKUs), len(storeV1Heads))
	}
	for _, row := range rep.SKUs {
		want := storeV1Heads[row.SKU]
		if row.Winners != want.wins || row.ChainHead != want.head {
			t.Errorf("%s: %d winners, head %s; want %d, %s", row.SKU, row.Winners, row.ChainHead, want.wins, want.head)
		}
	}
	if len(rep.Digests) != 1 || rep.Digests[0].Digest != storeV1Digest {
		t.Errorf("digests %+v, want gen %s", rep.Digests, storeV1Digest)
	}
}

// TestRebuildAcceptsCommittedStore: recovery (Rebuild into shards keyed with
// the store's own ticket key, activity-wide claims shared) applies every
// record of the committed store and ends each chain where it ended.
func TestRebuildAcceptsCommittedStore(t *testing.T) {
	l := openStoreV1(t)
	key, err := l.TicketKey()
	if err != nil {
		t.Fatal(err)
	}
	claims := engine.NewClaims()
	shards := map[string]*engine.Shard{}
	for i, sku := range []string{"sku-0000", "sku-0001", "sku-0002"} {
		shards[sku] = engine.NewShard(engine.Spec{Activity: "gen", SKU: sku, Index: int32(i), Quota: 20, EndUnixNano: 1 << 62, LimitActivity: true},
			engine.NewTicketSigner(key), claims, nil)
	}
	sum, err := Rebuild(l, func(activity, sku string) *engine.Shard {
		if activity != "gen" {
			return nil
		}
		return shards[sku]
	})
	if err != nil || sum.Wins != storeV1Records || len(sum.Orphans) != 0 {
		t.Fatalf("rebuild: %+v, %v", sum, err)
	}
	for sku, want := range storeV1Heads {
		s := shards[sku]
		head := s.ChainHead().Hash
		if got := fmt.Sprint(s.Sold(), " ", hex.EncodeToString(head[:])); got != fmt.Sprint(want.wins, " ", want.head) {
			t.Errorf("%s: rebuilt to %s, want %d %s", sku, got, want.wins, want.head)
		}
	}
}
