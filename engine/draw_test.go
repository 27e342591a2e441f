package engine

import (
	"bytes"
	"crypto/sha256"

	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// referenceDraw is the SPEC's definition written out plainly, apart from
// DrawOrder: each entrant's key is SHA-256 over seed, beacon and the uid as
// 8 bytes big-endian, concatenated; entrants sorted by key ascending.
func referenceDraw(entrants []uint64, seed [32]byte, beacon []byte) []uint64 {
	type keyed struct {
		key []byte
		uid uint64
	}
	ks := make([]keyed, len(entrants))
	for i, uid := range entrants {
		msg := append(append([]byte{}, seed[:]...), beacon...)
		msg = append(msg, byte(uid>>56), byte(uid>>48), byte(uid>>40), byte(uid>>32), byte(uid>>24), byte(uid>>16), byte(uid>>8), byte(uid))
		h := sha256.Sum256(msg)
		ks[i] = keyed{key: h[:], uid: uid}
	}
	sort.Slice(ks, func(i, j int) bool { return bytes.Compare(ks[i].key, ks[j].key) < 0 })
	out := make([]uint64, len(ks))
	for i := range ks {
		out[i] = ks[i].uid
	}
	return out
}

func distinctUIDs(rng *rand.Rand, n int) []uint64 {
	seen := map[uint64]bool{}
	out := make([]uint64, 0, n)
	for len(out) < n {
		u := rng.Uint64N(1 << 40)
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// TestDrawMatchesReference: DrawOrder is the SPEC's order, for empty,
// 32-byte and 64-byte beacons and sizes from none to thousands.
func TestDrawMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 17, 1000, 5000} {
		for _, blen := range []int{0, 32, MaxBeaconBytes} {
			var seed [32]byte
			for i := range seed {
				seed[i] = byte(rng.Uint32())
			}
			beacon := make([]byte, blen)
			for i := range beacon {
				beacon[i] = byte(rng.Uint32())
			}
			entrants := distinctUIDs(rng, n)
			got := DrawOrder(entrants, seed, beacon)
			if want := referenceDraw(entrants, seed, beacon); !slices.Equal(got, want) {
				t.Fatalf("n=%d beacon %d bytes: order differs from the reference", n, blen)
			}
		}
	}
}

// TestDrawDeterministicAndOrderFree: the same entrants in any order, drawn
// any number of times, give the same order; the seed and the beacon each
// change it; the input is left as it was.
func TestDrawDeterministicAndOrderFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	entrants := distinctUIDs(rng, 2000)
	seed := [32]byte{1, 2, 3}
	first := DrawOrder(entrants, seed, []byte("beacon"))
	in := slices.Clone(entrants)
	for range 5 {
		rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		before := slices.Clone(in)
		if got := DrawOrder(in, seed, []byte("beacon")); !slices.Equal(got, first) {
			t.Fatal("a shuffled input drew a different order")
		}
		if !slices.Equal(in, before) {
			t.Fatal("DrawOrder changed its input")
		}
	}
	if slices.Equal(DrawOrder(entrants, [32]byte{1, 2, 4}, []byte("beacon")), first) {
		t.Fatal("another seed drew the same order")
	}
	if slices.Equal(DrawOrder(entrants, seed, nil), first) {
		t.Fatal("no beacon drew the same order as a beacon")
	}
	sorted := slices.Clone(first)
	slices.Sort(sorted)
	slices.Sort(in)
	if !slices.Equal(sorted, in) {
		t.Fatal("the order is not a permutation of the entrants")
	}
}

// TestLotteryKeyKnownAnswer pins the key of one uid, so a change to the
// published definition cannot pass unnoticed.
func TestLotteryKeyKnownAnswer(t *testing.T) {
	var seed [32]byte
	for i := range seed {
		seed[i] = byte(i)
	}
	k := LotteryKey(seed, []byte{0xaa, 0xbb}, 42)
	msg := append(append(seed[:], 0xaa, 0xbb), 0, 0, 0, 0, 0, 0, 0, 42)
	if want := sha256.Sum256(msg); k != want {
		t.Fatalf("key %x, want %x", k, want)
	}
}

// BenchmarkDraw is the draw of 100 k and 1 M entrants with a 32-byte
// beacon (docs/BENCHMARKS.md, "Fair opening"; target ≤ 50 ms at 100 k).
func BenchmarkDraw(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			entrants := distinctUIDs(rand.New(rand.NewPCG(5, 6)), n)
			beacon := bytes.Repeat([]byte{7}, 32)
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				DrawOrder(entrants, [32]byte{9}, beacon)
			}
			// CPU time as well as wall time: on a shared machine the wall
			// time says more about the neighbours than about the draw.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/draw")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/draw")
		})
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
