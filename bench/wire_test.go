package bench

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseAnswer(t *testing.T) {
	won := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 120\r\nConnection: close\r\n\r\n" +
		`{"result":"won","activity":"a","sku":"p0","uid":7,"seq":12,"ticket":"0123456789abcdef0123456789abcdef","time_unix_ms":1,"hint":""}`
	won = strings.Replace(won, "120", strconv.Itoa(len(won)-strings.Index(won, "\r\n\r\n")-4), 1)
	busy := "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: 34\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" +
		`{"result":"busy","retry_ms":1000}`
	busy = strings.Replace(busy, "34", strconv.Itoa(len(`{"result":"busy","retry_ms":1000}`)), 1)
	nginx := "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: application/json\r\nContent-Length: 18\r\nConnection: close\r\n\r\n{\"result\":\"floor\"}"
	tests := []struct {
		name, in string
		ok       bool
		want     answer
	}{
		{"won", won, true, answer{status: 200, result: "won", seq: 12, ticket: "0123456789abcdef0123456789abcdef"}},
		{"busy", busy, true, answer{status: 429, result: "busy", retryMs: 1000}},
		{"nginx", nginx, true, answer{status: 200, result: "floor"}},
		{"cut short", nginx[:len(nginx)-3], false, answer{}},
		{"no head end", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", false, answer{}},
		{"not http", "SSH-2.0-OpenSSH\r\n\r\n", false, answer{}},
		{"unknown result", "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{\"result\":\"x\"}", true, answer{status: 200, result: "other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseAnswer([]byte(tt.in))
			if ok != tt.ok || got != tt.want {
				t.Fatalf("parseAnswer = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestAppendRequest(t *testing.T) {
	s := Spec{Addr: "h:1", Path: "/buy"}
	got := string(appendRequest(nil, &s, "p0", 42, 0))
	want := "GET /buy?sku=p0&uid=42 HTTP/1.1\r\nHost: h:1\r\nUser-Agent: seckill-bench\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if got != want {
		t.Fatalf("auth none:\n%q\nwant\n%q", got, want)
	}
	s.Secret = "secret-0123456789"
	got = string(appendRequest(nil, &s, "p0", 42, 1800000000))
	if !strings.HasPrefix(got, "GET /buy?sku=p0&token=42.1800000000.") || strings.Contains(got, "uid=") {
		t.Fatalf("hmac: %q", got)
	}
}

func TestParseSources(t *testing.T) {
	got, err := ParseSources("127.0.0.2-127.0.0.4, 10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "127.0.0.2 127.0.0.3 127.0.0.4 10.0.0.1" {
		t.Fatalf("got %v", got)
	}
	for _, bad := range []string{"127.0.0.9-127.0.0.2", "nope", "::1-::2"} {
		if _, err := ParseSources(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
