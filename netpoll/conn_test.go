package netpoll

import (
	"io"
	"strings"
	"testing"
	"time"
)

// TestAnswers: the connection state machine's short paths over a real
// socket. Answers the event loop gives itself (reading → written), an
// attempt that goes through the shard (reading → queued → replied →
// written), and heads httpmin refuses; each ends with the server's close.
func TestAnswers(t *testing.T) {
	r := newRig(t, rigOptions{})
	cases := []struct{ name, head, status, result string }{
		{"buy", buyHead(1), "200 OK", "won"},
		{"retry", buyHead(1), "200 OK", "already_won"},
		{"lookup", "GET /result?sku=s1&uid=1 HTTP/1.1\r\n\r\n", "200 OK", "won"},
		{"lookup without win", "GET /result?sku=s1&uid=2 HTTP/1.1\r\n\r\n", "404 Not Found", "none"},
		{"stock", "GET /stock?sku=s1 HTTP/1.1\r\n\r\n", "200 OK", `GET /stock`},
		{"unknown sku", "GET /buy?sku=zz&uid=1 HTTP/1.1\r\n\r\n", "404 Not Found", "unknown_sku"},
		{"no uid", "GET /buy?sku=s1 HTTP/1.1\r\n\r\n", "400 Bad Request", "bad_request"},
		{"post", "POST /buy?sku=s1&uid=1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "405 Method Not Allowed", "method_not_allowed"},
		{"garbage", "\x00\x01 nonsense\r\n\r\n", "400 Bad Request", "bad_request"},
		{"head too large", "GET /buy?sku=s1&uid=1 HTTP/1.1\r\nX: " + strings.Repeat("a", 9000) + "\r\n\r\n", "431 Request Header Fields Too Large", "header_too_large"},
	}
	for _, c := range cases {
		conn := r.dial(t)
		if _, err := conn.Write([]byte(c.head)); err != nil {
			t.Fatal(err)
		}
		var resp string
		if c.name == "head too large" {
			// The server closes with the rest of the head unread, so the
			// kernel may reset the connection after the answer.
			b, _ := io.ReadAll(conn)
			resp = string(b)
		} else {
			resp = readAll(t, conn)
		}
		if !strings.HasPrefix(resp, "HTTP/1.1 "+c.status+"\r\n") {
			t.Errorf("%s: %q, want status %s", c.name, resp, c.status)
			continue
		}
		if c.name == "stock" {
			if !strings.Contains(resp, `"state":"on_sale","remaining":999`) {
				t.Errorf("stock: %q", resp)
			}
			continue
		}
		if got := result(resp); got != c.result {
			t.Errorf("%s: result %q, want %q (%q)", c.name, got, c.result, resp)
		}
	}
	waitFor(t, "every connection closed", func() bool { return r.srv.open.Load() == 0 })
	if q := r.srv.queued.Load(); q != 0 {
		t.Fatalf("queued = %d after every answer was read", q)
	}
}

// TestPartialHeadAtEveryByte splits a request head at every byte into two
// writes with a pause between them, so the server reads the first piece,
// keeps it (keepPartial), and completes the head with the second.
func TestPartialHeadAtEveryByte(t *testing.T) {
	r := newRig(t, rigOptions{})
	head := buyHead(100)
	for i := 1; i < len(head); i++ {
		conn := r.dial(t)
		if err := conn.SetNoDelay(true); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(head[:i])); err != nil {
			t.Fatal(err)
		}
		// Wait until the server has read the first piece and kept it.
		waitFor(t, "the first piece to be read", func() bool { return r.srv.partialHeads.Load() == 1 })
		if _, err := conn.Write([]byte(head[i:])); err != nil {
			t.Fatal(err)
		}
		resp := readAll(t, conn)
		want := "already_won"
		if i == 1 {
			want = "won"
		}
		if got := result(resp); got != want || !strings.HasPrefix(resp, "HTTP/1.1 200 OK\r\n") {
			t.Fatalf("split at %d (%q | %q): %q, want %s", i, head[:i], head[i:], resp, want)
		}
		waitFor(t, "the kept piece to be released", func() bool { return r.srv.partialHeads.Load() == 0 })
	}
}

// TestPeerLeavesWhileQueued: a client that closes while its attempt waits
// in the shard (queued → closed), and one whose reply was decided but not
// yet written when it closed (replied → closed): neither leaks its uid's
// in-flight slot nor the queued count, and the uid can try again.
func TestPeerLeavesWhileQueued(t *testing.T) {
	r := newRig(t, rigOptions{held: true})
	c := r.dial(t)
	if _, err := c.Write([]byte(buyHead(7))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the attempt to be queued", func() bool { return r.srv.queued.Load() == 1 })
	// While uid 7's attempt is queued, its second attempt is busy.
	second := r.dial(t)
	if _, err := second.Write([]byte(buyHead(7))); err != nil {
		t.Fatal(err)
	}
	if got := result(readAll(t, second)); got != "busy" {
		t.Fatalf("second attempt while queued: %s, want busy", got)
	}
	c.Close()
	waitFor(t, "the close to be seen", func() bool { return r.srv.open.Load() == 0 })
	r.run() // the shard decides now, for a client that left
	waitFor(t, "the abandoned attempt to be released", func() bool { return r.srv.queued.Load() == 0 })
	again := r.dial(t)
	if _, err := again.Write([]byte(buyHead(7))); err != nil {
		t.Fatal(err)
	}
	// The first attempt was decided (won) though nobody heard it; the
	// retry learns it, with the same ticket the store holds.
	if got := result(readAll(t, again)); got != "already_won" {
		t.Fatalf("retry after leaving: %s, want already_won", got)
	}
	time.Sleep(10 * time.Millisecond)
	if q := r.srv.queued.Load(); q != 0 {
		t.Fatalf("queued = %d", q)
	}
}
