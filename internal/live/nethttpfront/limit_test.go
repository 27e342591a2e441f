package nethttpfront

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// TestLimitListenerRefusesOverLimit holds the one admitted connection and
// checks that the next one hears busy and is closed, and that closing the
// first frees its slot.
func TestLimitListenerRefusesOverLimit(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var open, refused atomic.Int64
	l := &limitListener{Listener: inner, max: 1, open: &open, refused: &refused, busy: []byte("BUSY")}
	defer l.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", inner.Addr().String(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		return c
	}
	first := dial()
	defer first.Close()
	held := <-accepted
	// The refused client sends nothing: a request that arrives after the
	// refusal's one non-blocking read makes the close an RST, which may
	// destroy the answer (a rude refusal, as TestConnectionFlood allows).
	second := dial()
	defer second.Close()
	b, err := io.ReadAll(second)
	if err != nil || string(b) != "BUSY" {
		t.Fatalf("over the limit: read %q, %v; want BUSY then EOF", b, err)
	}
	if refused.Load() != 1 || open.Load() != 1 {
		t.Fatalf("refused %d open %d, want 1 and 1", refused.Load(), open.Load())
	}
	held.Close()
	held.Close() // a second Close must not free a second slot
	if open.Load() != 0 {
		t.Fatalf("open %d after close, want 0", open.Load())
	}
	third := dial()
	defer third.Close()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(2 * time.Second):
		t.Fatal("a freed slot was not given to the next connection")
	}
}
