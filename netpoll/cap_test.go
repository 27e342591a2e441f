package netpoll

import (
	"testing"
)

// TestConnectionCap: with max_connections = 2 and two clients holding
// connections open, the third hears busy at once and is closed; once one
// of the two leaves, the next client is served.
func TestConnectionCap(t *testing.T) {
	r := newRig(t, rigOptions{maxConns: 2})
	a, b := r.dial(t), r.dial(t)
	waitFor(t, "two open connections", func() bool { return r.srv.open.Load() == 2 })
	over := r.dial(t)
	resp := readAll(t, over)
	if got := result(resp); got != "busy" {
		t.Fatalf("over the cap: %q, want busy", resp)
	}
	if r.srv.refused.Load() != 1 || r.srv.open.Load() != 2 {
		t.Fatalf("refused %d open %d, want 1 and 2", r.srv.refused.Load(), r.srv.open.Load())
	}
	a.Close()
	waitFor(t, "the slot to be freed", func() bool { return r.srv.open.Load() == 1 })
	next := r.dial(t)
	if _, err := next.Write([]byte(buyHead(3))); err != nil {
		t.Fatal(err)
	}
	if got := result(readAll(t, next)); got != "won" {
		t.Fatalf("after a slot was freed: %s, want won", got)
	}
	b.Close()
}
