package nethttpfront

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// limitListener admits at most max connections at a time and answers the
// rest with busy at once, as netpoll does: a flood must not drive the
// process into EMFILE, and a refused client must hear why.
type limitListener struct {
	net.Listener
	max     int64
	open    *atomic.Int64
	refused *atomic.Int64
	busy    []byte
}

// Accept returns the next admitted connection and refuses the ones over the
// limit in passing.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &countedConn{Conn: c, open: l.open}, nil
		}
		l.open.Add(-1)
		l.refused.Add(1)
		refuse(c, l.busy)
	}
}

// refuse writes busy and closes. It first reads what the peer already sent
// without waiting: closing a socket with unread input sends RST, which can
// destroy the busy answer in the peer's receive buffer before it is read.
func refuse(c net.Conn, busy []byte) {
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			var scratch [2048]byte
			_ = rc.Read(func(fd uintptr) bool {
				_, _ = syscall.Read(int(fd), scratch[:])
				return true // one non-blocking read; never wait for more
			})
		}
	}
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write(busy)
	_ = c.Close()
}

// countedConn gives its slot back on the first Close.
type countedConn struct {
	net.Conn
	open   *atomic.Int64
	closed atomic.Bool
}

func (c *countedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.open.Add(-1)
	}
	err := c.Conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
