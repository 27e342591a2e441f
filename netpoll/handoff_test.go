package netpoll

import (
	"bytes"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// handOffRig is a front end over a held shard that steps one task per
// batch, with lookups queued by raw client sockets: stepping the shard
// then runs exactly one reply's path, from the shard's step through Reply,
// the wake, the encoding and the write to the socket, and the close.
type handOffRig struct {
	*rig
	port int
	fds  []int // client sockets whose lookup is queued, in inbox order
	buf  []byte
}

func newHandOffRig(tb testing.TB, queue int) *handOffRig {
	r := newRig(tb, rigOptions{held: true, queue: queue, batchMax: 1})
	port, _ := strconv.Atoi(r.addr[len("127.0.0.1:"):])
	return &handOffRig{rig: r, port: port, buf: make([]byte, 1024)}
}

// queue opens n client sockets and queues a lookup from each, one at a
// time, so that the shard's inbox holds them in the order of h.fds. A
// socket's read gives up after 10 s, so a reply that never comes fails the
// test instead of hanging it.
func (h *handOffRig) queue(tb testing.TB, n int) {
	tb.Helper()
	base := h.loop.QueueLen()
	for i := range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			tb.Fatal(err)
		}
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 10}); err != nil {
			tb.Fatal(err)
		}
		if err := unix.Connect(fd, &unix.SockaddrInet4{Port: h.port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			tb.Fatal(err)
		}
		if _, err := unix.Write(fd, []byte("GET /result?sku=s1&uid="+strconv.Itoa(i+1)+" HTTP/1.1\r\n\r\n")); err != nil {
			tb.Fatal(err)
		}
		waitFor(tb, "the lookup queued", func() bool { return h.loop.QueueLen() == base+i+1 })
		h.fds = append(h.fds, fd)
	}
}

// step decides the oldest queued lookup and reads its answer; it reports
// whether the answer came, complete. It allocates nothing of its own.
func (h *handOffRig) step() bool {
	if len(h.fds) == 0 || !h.loop.StepQueued() {
		return false
	}
	fd := h.fds[0]
	h.fds = h.fds[1:]
	got := 0
	for {
		n, err := unix.Read(fd, h.buf[got:])
		if err != nil || n == 0 {
			break
		}
		got += n
	}
	unix.Close(fd)
	return bytes.HasSuffix(h.buf[:got], []byte(`{"result":"none"}`))
}

// TestReplyHandOffAllocs: the reply path from the shard's step of a queued
// attempt — Reply, the loop's reply queue and wake, the encoding, the write
// to the client's socket and the close — allocates nothing (gnet's
// Conn.Wake, which it replaced, cost 2 allocations per reply).
func TestReplyHandOffAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	const runs = 100
	h := newHandOffRig(t, runs+1)
	h.queue(t, runs+1)
	bad := 0
	allocs := testing.AllocsPerRun(runs, func() {
		if !h.step() {
			bad++
		}
	})
	if bad != 0 {
		t.Fatalf("%d of %d answers missing or wrong", bad, runs+1)
	}
	if allocs != 0 {
		t.Errorf("%.1f allocations per reply handed from the shard to the socket", allocs)
	}
}

// BenchmarkReplyHandOff times one reply's path as TestReplyHandOffAllocs
// runs it, the client's read included; lookups are queued 200 at a time
// with the timer stopped.
func BenchmarkReplyHandOff(b *testing.B) {
	const chunk = 200
	h := newHandOffRig(b, chunk)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		n := min(chunk, b.N-done)
		h.queue(b, n)
		b.StartTimer()
		for range n {
			if !h.step() {
				b.Fatal("an answer is missing or wrong")
			}
		}
		done += n
	}
}
