package netpoll

import (
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestListenersDeferAccept: once booted, every listening socket of the
// engine on its port has TCP_DEFER_ACCEPT, and a buyer who sends at once is
// answered as before.
func TestListenersDeferAccept(t *testing.T) {
	r := newRig(t, rigOptions{})
	n, err := setDeferAccept("tcp://"+r.addr, deferAcceptSeconds) // idempotent: counts them
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no listening socket found on the engine's port")
	}
	_, port, _ := net.SplitHostPort(r.addr)
	checked := 0
	for fd := range 4096 {
		if on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || on != 1 {
			continue
		}
		sa, err := unix.Getsockname(fd)
		if err != nil || strconv.Itoa(sockaddrPort(sa)) != port {
			continue
		}
		v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT)
		if err != nil || v == 0 {
			t.Errorf("listener fd %d: TCP_DEFER_ACCEPT %d, %v", fd, v, err)
		}
		checked++
	}
	if checked != n {
		t.Errorf("%d listeners checked, %d set", checked, n)
	}
	c := r.dial(t)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET /buy?sku=s1&uid=7 HTTP/1.1\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil || !strings.Contains(string(b), `"won"`) {
		t.Fatalf("answer %q, %v", b, err)
	}
}
