package server

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/live/token"
	"seckill/internal/testkit/httpget"
	"seckill/wal"
)

// varying matches the fields that differ between two runs of the same sale:
// clocks and the tickets, which are keyed per store.
var varying = regexp.MustCompile(`"(time_unix_ms|server_unix|start_unix|end_unix|ticket)":("[^"]*"|\d+)`)

// frontEndAnswers runs the answers configuration under one front end and
// returns, per request, the status, the headers that matter and the body
// with its varying fields blanked.
func frontEndAnswers(t *testing.T, frontEnd string) []string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reserved.txt"), []byte("1\n2\n3\n4\n5\n666\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(answersConfig, `data_dir = "DATADIR"`, `data_dir = "DATADIR"`+"\nfront_end = \""+frontEnd+`"`, 1)
	addr, stop := startServer(t, cfg, dir)
	defer stop()
	capPass := token.Mint([]byte("captcha-secret-0123456789"), 1, time.Now().Add(time.Minute).Unix())
	targets := []string{
		"/buy?sku=live-1&token=" + tokenFor(1),
		"/buy?sku=live-1&token=" + tokenFor(1),
		"/buy?sku=live-1&token=" + tokenFor(9),
		"/buy?sku=live-1&token=" + tokenFor(666),
		"/buy?sku=later-1&token=" + tokenFor(1),
		"/buy?sku=past-1&token=" + tokenFor(1),
		"/buy?sku=cap-1&token=" + tokenFor(1),
		"/buy?sku=cap-1&token=" + tokenFor(1) + "&captcha=" + capPass,
		"/buy?sku=live-1&token=1.2.3",
		"/buy?sku=nope&token=" + tokenFor(1),
		"/buy?sku=a%2Fb&token=" + tokenFor(1),
		"/buy?sku=%zz",
		"/stock?sku=live-1",
		"/result?sku=live-1&token=" + tokenFor(2),
		"/result?sku=live-1&token=" + tokenFor(1),
		"/healthz",
		"/nope",
	}
	var out []string
	for i, target := range targets {
		resp, err := httpget.Get(addr, target, 5*time.Second)
		if err != nil {
			t.Fatalf("%s %s: %v", frontEnd, target, err)
		}
		out = append(out, fmt.Sprintf("request %d -> %d %s %s %q %s", i, resp.Status,
			resp.Header.Get("Content-Type"), resp.Header.Get("Connection"), resp.Header.Get("Allow"),
			varying.ReplaceAllString(string(resp.Body), `"$1":_`)))
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "POST /buy?sku=live-1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	resp, err := httpget.Read(c)
	if err != nil {
		t.Fatalf("%s POST: %v", frontEnd, err)
	}
	out = append(out, fmt.Sprintf("POST -> %d %q %s", resp.Status, resp.Header.Get("Allow"), resp.Body))
	return out
}

// TestFrontEndsAnswerAlike checks that the net/http front end, which the
// benchmarks compare with netpoll, gives every answer netpoll gives: the
// comparison is only fair if both do the same work.
func TestFrontEndsAnswerAlike(t *testing.T) {
	want := frontEndAnswers(t, "netpoll")
	got := frontEndAnswers(t, "nethttp")
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("answer %d differs:\nnetpoll: %s\nnethttp: %s", i, want[i], got[i])
		}
	}
}

// TestFloorAnswersConstant checks the floor front end answers any complete
// request with its constant response and never reaches the engine.
func TestFloorAnswersConstant(t *testing.T) {
	dir := t.TempDir()
	cfg := strings.Replace(e2eConfig, `data_dir = "DATADIR"`, `data_dir = "DATADIR"`+"\nfront_end = \"floor\"", 1)
	if err := os.WriteFile(filepath.Join(dir, "reserved.txt"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, stop := startServer(t, cfg, dir)
	for _, target := range []string{"/buy?sku=a&token=" + tokenFor(1), "/nope"} {
		resp, err := httpget.Get(addr, target, 5*time.Second)
		if err != nil {
			stop()
			t.Fatal(err)
		}
		if resp.Status != 200 || string(resp.Body) != `{"result":"floor"}` {
			stop()
			t.Fatalf("%s: %d %s", target, resp.Status, resp.Body)
		}
	}
	stop()
	// The buy never reached the engine: uid 1, reserved, on an open SKU
	// with stock, would have won; the store holds no win.
	log, err := wal.Open(filepath.Join(dir, "data"), wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	wins := 0
	if err := log.ScanWins(func(*engine.Win) error { wins++; return nil }); err != nil || wins != 0 {
		t.Fatalf("the floor front end's store holds %d wins (%v), want none", wins, err)
	}
}

// TestHeadInPieces sends request heads the way a slow phone does, a few
// bytes at a time: each front end must put the pieces together, and netpoll
// must still refuse a head that grows past the read limit across reads.
func TestHeadInPieces(t *testing.T) {
	for _, fe := range []string{"netpoll", "nethttp"} {
		t.Run(fe, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "reserved.txt"), []byte("1\n2\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := strings.Replace(e2eConfig, `data_dir = "DATADIR"`, `data_dir = "DATADIR"`+"\nfront_end = \""+fe+`"`, 1)
			addr, stop := startServer(t, cfg, dir)
			defer stop()
			send := func(pieces ...string) *httpget.Response {
				t.Helper()
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				for _, p := range pieces {
					if _, err := c.Write([]byte(p)); err != nil {
						t.Fatal(err)
					}
					time.Sleep(30 * time.Millisecond)
				}
				resp, err := httpget.Read(c)
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}
			head := "GET /buy?sku=a&token=" + tokenFor(7) + " HTTP/1.1\r\nHost: x\r\nUser-Agent: slow-phone\r\n\r\n"
			resp := send(head[:10], head[10:60], head[60:len(head)-2], head[len(head)-2:])
			checkAnswer(t, resp, 200, "won", `"uid":7`)
			if fe != "netpoll" {
				return // net/http applies its own, larger head limit
			}
			// A browser's head, longer than the 1 KiB read buffer, streams
			// through it; one over max_head_bytes (8 KiB) is refused.
			pad := "X-Pad: " + strings.Repeat("p", 600) + "\r\n"
			resp = send("GET /buy?sku=a&token="+tokenFor(8)+" HTTP/1.1\r\n", pad, pad, "\r\n")
			checkAnswer(t, resp, 200, "won", `"uid":8`)
			pieces := []string{"GET /buy?sku=a&token=" + tokenFor(9) + " HTTP/1.1\r\n"}
			for range 14 {
				pieces = append(pieces, pad)
			}
			resp = send(append(pieces, "\r\n")...)
			checkAnswer(t, resp, 431, "header_too_large", "")
		})
	}
}
