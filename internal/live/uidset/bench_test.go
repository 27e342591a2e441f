package uidset

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// randomUIDFile renders n random uids, one per line, as a reservation file.
func randomUIDFile(n int) (*bytes.Buffer, []uint64) {
	rng := rand.New(rand.NewPCG(42, 42))
	uids := make([]uint64, n)
	var buf bytes.Buffer
	buf.Grow(n * 21)
	line := make([]byte, 0, 24)
	for i := range uids {
		uids[i] = rng.Uint64()
		line = strconv.AppendUint(line[:0], uids[i], 10)
		line = append(line, '\n')
		buf.Write(line)
	}
	return &buf, uids
}

// BenchmarkLoad10M loads 10 million random 64-bit uids (about 200 MB of
// text) and reports the heap the resulting set keeps per uid.
func BenchmarkLoad10M(b *testing.B) {
	const n = 10_000_000
	file, _ := randomUIDFile(n)
	data := file.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var bytesPerUID float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, err := Load(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		bytesPerUID = float64(after.HeapInuse-before.HeapInuse) / float64(s.Len())
		runtime.KeepAlive(s)
		b.StartTimer()
	}
	b.ReportMetric(bytesPerUID, "bytes/uid")
}

func BenchmarkContains(b *testing.B) {
	const n = 10_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	uids := make([]uint64, n)
	for i := range uids {
		uids[i] = rng.Uint64()
	}
	probes := make([]uint64, 1<<16)
	for i := range probes {
		if i%2 == 0 {
			probes[i] = uids[rng.IntN(n)]
		} else {
			probes[i] = rng.Uint64()
		}
	}
	s := FromSlice(uids)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Contains(probes[i&(len(probes)-1)])
		i++
	}
}
