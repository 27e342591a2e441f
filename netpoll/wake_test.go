package netpoll

import (
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
