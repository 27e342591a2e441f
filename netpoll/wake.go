package netpoll

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// replyQueue hands the shards' replies to one event loop without
// allocating. gnet's Conn.Wake allocates a closure and a queue node per
// call, so waking once per reply would allocate on the hot path; instead a
// shard pushes the replied connection's context onto its loop's queue, and
// only the push that finds the queue empty wakes the loop, by writing one
// byte to a socketpair whose other end is registered with that loop. The
// loop, woken, takes every queued reply at once and writes them all.
//
// The queue is a lock-free stack linked through connCtx.nextReply: pushes
// from any number of shard goroutines, one taker (the loop) that swaps the
// whole stack out. It needs no bound of its own: a context is on it at most
// once, for its one queued attempt, so it never holds more than the
// connections open (max_connections).
type replyQueue struct {
	head   atomic.Pointer[connCtx]
	wakeFD int      // the writing end of the socketpair, non-blocking
	wakeF  *os.File // owns wakeFD: closes it once no context can reach the queue
}

// wakeFailStop bounds how long stopping the engine may take after a reply
// wake could not be enrolled: long enough for the loops to close their
// connections.
const wakeFailStop = 10 * time.Second

// wakeByte is what a wake writes; its value means nothing.
var wakeByte = [1]byte{1}

// push queues x, whose decision Reply has stored, for its loop to write;
// it runs on the shard's goroutine. Only the first reply into an empty
// queue wakes the loop: the loop reads the wake before it swaps the queue
// out, so a reply pushed after that swap finds the queue empty and wakes
// it again, and none is left waiting.
func (q *replyQueue) push(x *connCtx) {
	for {
		old := q.head.Load()
		x.nextReply = old
		if q.head.CompareAndSwap(old, x) {
			if old == nil {
				// EAGAIN means the socket holds unread wakes: the loop
				// will run anyway.
				_, _ = unix.Write(q.wakeFD, wakeByte[:])
			}
			return
		}
	}
}

// takeAll empties the queue and returns its contexts in the order they
// were pushed, linked through nextReply.
func (q *replyQueue) takeAll() *connCtx {
	var fifo *connCtx
	for x := q.head.Swap(nil); x != nil; {
		next := x.nextReply
		x.nextReply = fifo
		fifo, x = x, next
	}
	return fifo
}

// deliverAll runs on the loop when its wake socket is readable: it drops
// the wake bytes (gnet has read them already) and writes every queued
// reply.
func (q *replyQueue) deliverAll(wake gnet.Conn) {
	_, _ = wake.Discard(-1)
	for x := q.takeAll(); x != nil; {
		next := x.nextReply
		x.nextReply = nil
		x.deliver()
		x = next
	}
}

// replyQueueOf returns the reply queue of c's event loop, making it on the
// loop's first connection. It runs on that loop, so only one goroutine
// ever makes a given loop's queue.
func (s *Server) replyQueueOf(c gnet.Conn) (*replyQueue, error) {
	el := c.EventLoop()
	if q, ok := s.replyQueues.Load(el); ok {
		return q.(*replyQueue), nil
	}
	q, err := s.newReplyQueue(el)
	if err != nil {
		return nil, err
	}
	s.replyQueues.Store(el, q)
	return q, nil
}

// newReplyQueue makes a socketpair, keeps its writing end, and enrolls the
// reading end with el as a connection whose context is the queue, so that
// OnTraffic knows it for a wake. Enroll finishes on el itself, after this
// callback returns; a wake written before then is read once it has.
func (s *Server) newReplyQueue(el gnet.EventLoop) (*replyQueue, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netpoll: reply wake socketpair: %w", err)
	}
	q := &replyQueue{wakeFD: fds[1], wakeF: os.NewFile(uintptr(fds[1]), "netpoll-wake")}
	readEnd := os.NewFile(uintptr(fds[0]), "netpoll-wake-read")
	nc, err := net.FileConn(readEnd) // a dup of fds[0]
	_ = readEnd.Close()
	if err != nil {
		_ = q.wakeF.Close()
		return nil, fmt.Errorf("netpoll: reply wake conn: %w", err)
	}
	done, err := el.Enroll(gnet.NewContext(context.Background(), q), nc) // gnet dups it, then closes nc
	if err != nil {
		_ = nc.Close()
		_ = q.wakeF.Close()
		return nil, fmt.Errorf("netpoll: enroll the reply wake: %w", err)
	}
	go func() {
		// The loop cannot wait for its own Enroll; this goroutine, one
		// per event loop, reports a failure. Replies on that loop would
		// never be written, so the front end stops.
		if res := <-done; res.Err != nil && !s.stopping.Load() {
			err := fmt.Errorf("netpoll: enroll the reply wake: %w", res.Err)
			s.log.Error("netpoll: stopping", "err", err)
			s.failed.CompareAndSwap(nil, &err)
			ctx, cancel := context.WithTimeout(context.Background(), wakeFailStop)
			defer cancel()
			_ = s.eng.Stop(ctx)
		}
	}()
	return q, nil
}

var errWakeClosed = errors.New("netpoll: a reply wake closed while serving")

// wakeClosed is OnClose for a loop's reply wake. gnet closes it when the
// engine stops; closed while serving, it would leave that loop's replies
// unwritten, so the front end stops.
func (s *Server) wakeClosed(err error) gnet.Action {
	if s.stopping.Load() {
		return gnet.None
	}
	err = errors.Join(errWakeClosed, err)
	s.log.Error("netpoll: stopping", "err", err)
	s.failed.CompareAndSwap(nil, &err)
	return gnet.Shutdown
}
