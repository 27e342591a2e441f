package server

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seckill/internal/app/adminclient"
)

// adminHTTP is the tests' admin client: a bound on each request, so a hung
// admin API fails the test instead of the run.
var adminHTTP = &http.Client{Timeout: 30 * time.Second}

// adminAPI returns a function that sends requests to the admin API at addr
// of the engine whose data is under dir (startServer's layout), with the
// token that engine generated at its start — read at each call, as the
// commands do, so that it follows restarts.
func adminAPI(t *testing.T, addr, dir string) func(method, target, body string) (int, string) {
	return func(method, target, body string) (int, string) {
		t.Helper()
		token, err := adminclient.ReadToken(filepath.Join(dir, "data", "admin.token"))
		if err != nil {
			t.Fatal(err)
		}
		c := &adminclient.Client{Addr: addr, Token: token, HTTP: adminHTTP}
		status, b, err := c.Do(context.Background(), method, target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return status, string(b)
	}
}
