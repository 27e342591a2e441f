package netpoll

import (
	"bytes"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// newTestQueue is a reply queue over a real socketpair; it returns the
// queue and the reading end, where the wakes arrive.
func newTestQueue(t *testing.T) (*replyQueue, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return &replyQueue{wakeFD: fds[1]}, fds[0]
}

// wakes reads and counts the wake bytes waiting on fd.
func wakes(t *testing.T, fd int) int {
	t.Helper()
	var buf [64]byte
	n, err := unix.Read(fd, buf[:])
	if err == unix.EAGAIN {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReplyQueueCoalescesWakes: only a push into an empty queue wakes the
// loop; the loop takes every queued context, in the order they were
// pushed; a push after the take wakes it again.
func TestReplyQueueCoalescesWakes(t *testing.T) {
	q, wakeEnd := newTestQueue(t)
	ctxs := make([]connCtx, 5)
	for i := range ctxs {
		ctxs[i].gen.Store(uint64(i))
	}
	for i := range 3 {
		q.push(&ctxs[i])
	}
	if n := wakes(t, wakeEnd); n != 1 {
		t.Fatalf("3 pushes into an empty queue woke it %d times, want 1", n)
	}
	var got []int
	for x := q.takeAll(); x != nil; x = x.nextReply {
		got = append(got, int(x.gen.Load()))
	}
	if len(got) != 3 || got[0] != 0 || got[1] != 1 || got[2] != 2 {
		t.Fatalf("taken in order %v, want [0 1 2]", got)
	}
	if x := q.takeAll(); x != nil {
		t.Fatal("a second take found contexts")
	}
	q.push(&ctxs[3])
	q.push(&ctxs[4])
	if n := wakes(t, wakeEnd); n != 1 {
		t.Fatalf("pushes after the take woke it %d times, want 1", n)
	}
}

// TestReplyQueueConcurrentPushes: pushes from many goroutines while the
// taker drains lose no context and take none twice, and every push is
// followed by a wake the taker reads (so none waits unseen).
func TestReplyQueueConcurrentPushes(t *testing.T) {
	const pushers, each = 8, 2000
	q, wakeEnd := newTestQueue(t)
	ctxs := make([]connCtx, pushers*each)
	var wg sync.WaitGroup
	for p := range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				x := &ctxs[p*each+i]
				x.gen.Store(uint64(p*each + i))
				q.push(x)
			}
		}()
	}
	seen := make([]bool, len(ctxs))
	taken := 0
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	pollWake := []unix.PollFd{{Fd: int32(wakeEnd), Events: unix.POLLIN}}
	for finished := false; taken < len(ctxs); {
		if !finished {
			select {
			case <-done:
				finished = true
			default:
			}
		}
		// Wait for a wake, as the loop does, then take.
		if _, err := unix.Poll(pollWake, 1000); err != nil && err != unix.EINTR {
			t.Fatal(err)
		}
		if wakes(t, wakeEnd) == 0 {
			if finished && q.head.Load() != nil {
				t.Fatalf("contexts queued after the last push with no wake to read (%d taken)", taken)
			}
			continue
		}
		for x := q.takeAll(); x != nil; x = x.nextReply {
			i := x.gen.Load()
			if seen[i] {
				t.Fatalf("context %d taken twice", i)
			}
			seen[i] = true
			taken++
		}
	}
}

// TestReplyHandOffAllocs: the reply path from the shard's step of a queued
// attempt — Reply, the reply queue, the loop's wake, the encoding and the
// write to the client's socket, and the close — allocates nothing. Each run
// steps one attempt of a held shard and reads its answer on a raw socket.
func TestReplyHandOffAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	const runs = 100
	r := newRig(t, rigOptions{held: true, queue: runs + 1, batchMax: 1})
	port, _ := strconv.Atoi(r.addr[len("127.0.0.1:"):])
	fds := make([]int, runs+1)
	for i := range fds {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Write(fd, []byte("GET /result?sku=s1&uid="+strconv.Itoa(i+1)+" HTTP/1.1\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the lookup queued", func() bool { return r.srv.queued.Load() == int64(i+1) })
		fds[i] = fd
	}
	buf := make([]byte, 1024)
	next, bad := 0, 0
	allocs := testing.AllocsPerRun(runs, func() {
		if !r.loop.StepQueued() {
			bad++
			return
		}
		fd, got := fds[next], 0
		next++
		for {
			n, err := unix.Read(fd, buf[got:])
			if err != nil || n == 0 {
				break
			}
			got += n
		}
		if !bytes.Contains(buf[:got], []byte(`{"result":"none"}`)) {
			bad++
		}
	})
	if bad != 0 || next != runs+1 {
		t.Fatalf("%d of %d answers missing or wrong", bad, next)
	}
	if allocs != 0 {
		t.Errorf("%.1f allocations per reply handed from the shard to the socket", allocs)
	}
}
