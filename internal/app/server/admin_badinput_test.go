package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"seckill/internal/app/adminclient"
	"seckill/internal/live/uidset"
)

// adminState is everything an admin request could change, for checking
// that a refused one changed nothing.
type adminState struct {
	Paused     map[string]bool
	Ended      map[string]bool
	Quota      map[string]int64
	Remaining  map[string]int64
	Reserved   map[string]int
	Blocklist  string
	Files      []string
	TokenBytes string
}

func snapshotAdmin(t *testing.T, s *Server, dir string) adminState {
	t.Helper()
	st := adminState{Paused: map[string]bool{}, Ended: map[string]bool{}, Quota: map[string]int64{}, Remaining: map[string]int64{}, Reserved: map[string]int{}}
	for _, r := range s.Gate().Routes() {
		key := r.Activity + "/" + r.SKU
		st.Paused[key] = r.Loop.Public().Paused()
		st.Ended[key] = r.Loop.Public().Ended()
		st.Quota[key] = r.Loop.Public().Quota()
		st.Remaining[key] = r.Loop.Public().Remaining()
		if set, ok := r.Loop.Public().Reservations().(*uidset.Set); ok {
			st.Reserved[key] = set.Len()
		}
	}
	uids, addrs := s.Gate().Blocklist()
	st.Blocklist = fmt.Sprint(uids, addrs)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		st.Files = append(st.Files, e.Name())
	}
	b, _ := os.ReadFile(filepath.Join(dir, "data", "admin.token"))
	st.TokenBytes = string(b)
	return st
}

// TestAdminRefusesBadRequests sends every admin route each kind of bad
// request — no credentials, a wrong token, CSRF-shaped requests, a foreign
// Origin, a rebinding Host, malformed parameters, an unknown activity or
// SKU, a stock below what was sold — and checks each gets its 4xx with a
// JSON error naming the problem and that nothing in the engine changed.
// Unknown paths and wrong methods answer JSON errors too.
func TestAdminRefusesBadRequests(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reserved.txt"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "existing.jsonl"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	adminAddr := freeAddr(t)
	cfg := strings.Replace(`
[server]
listen = "LISTEN"
admin_listen = "ADMIN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "`+testSecret+`"
[export]
dir = "`+filepath.Join(dir, "exports")+`"
[blocklist]
uids = [7]
[[activity]]
id = "adm"
start = "now"
end = "+1h"
reservation = "required"
reservations_file = "reserved.txt"
  [[activity.item]]
  sku = "p1"
  stock = 10
  [[activity.item]]
  sku = "p2"
  stock = 10
[[activity]]
id = "open"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "o1"
  stock = 10
`, "ADMIN", adminAddr, 1)
	srv, addr, stop := startEngine(t, cfg, dir)
	defer stop()
	// Three units of o1 sold, so a stock below three is refused.
	for uid := uint64(1); uid <= 3; uid++ {
		if r, _, err := buyUntilFinal(addr, "o1", uid); err != nil || r.Result != "won" {
			t.Fatalf("uid %d: %v %v", uid, r.Result, err)
		}
	}
	token, err := adminclient.ReadToken(filepath.Join(dir, "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, target, body string, header http.Header) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+adminAddr+target, strings.NewReader(body))
		for k, vs := range header {
			if k == "Host" {
				req.Host = vs[0]
				continue
			}
			req.Header[k] = vs
		}
		resp, err := adminHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	bearer := "Bearer " + token
	// The dashboard's session cookie, obtained as a browser does.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get("http://" + adminAddr + "/?token=" + token)
	if err != nil || resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("GET /?token=: %v %v", err, resp)
	}
	resp.Body.Close()
	cookie := resp.Cookies()[0].Name + "=" + resp.Cookies()[0].Value

	type badCase struct {
		name   string
		target string // "" = the route's valid target
		body   string // "" = the route's valid body
		header http.Header
		want   int
		says   string // the error names the problem
	}
	auth := func(h http.Header) http.Header {
		if h == nil {
			h = http.Header{}
		}
		h.Set("Authorization", bearer)
		return h
	}
	common := func(method string) []badCase {
		cs := []badCase{
			{name: "no credentials", want: 401, says: "Authorization"},
			{name: "wrong token", header: http.Header{"Authorization": {"Bearer " + strings.Repeat("f", len(token))}}, want: 401, says: "wrong admin token"},
			{name: "CSRF text/plain without bearer", header: http.Header{"Content-Type": {"text/plain"}}, want: 401, says: "Bearer"},
			{name: "foreign Origin", header: auth(http.Header{"Origin": {"https://evil.example"}, "Content-Type": {"text/plain"}}), want: 403, says: "cross-origin"},
			{name: "cross-site page with the cookie", header: http.Header{"Sec-Fetch-Site": {"cross-site"}, "Cookie": {cookie}}, want: 403, says: "cross-origin"},
			{name: "rebinding Host", header: auth(http.Header{"Host": {"evil.example:" + adminAddr[strings.LastIndex(adminAddr, ":")+1:]}}), want: 403, says: "Host"},
		}
		if method != "GET" {
			// A form or fetch of text/plain that the browser sends with the
			// session cookie (SameSite=Strict already keeps other sites'
			// pages from sending it).
			cs = append(cs, badCase{name: "session cookie on a change", header: http.Header{"Cookie": {cookie}, "Content-Type": {"text/plain"}, "Origin": {"http://" + adminAddr}}, want: 401, says: "read-only"})
		}
		return cs
	}
	scoped := func(path string) []badCase {
		return []badCase{
			{name: "no activity", target: path, header: auth(nil), want: 400, says: `"activity" is required`},
			{name: "misspelt parameter", target: path + "?activty=adm", header: auth(nil), want: 400, says: `unknown parameter "activty"`},
			{name: "repeated parameter", target: path + "?activity=adm&activity=open", header: auth(nil), want: 400, says: "2 times"},
			{name: "malformed escape", target: path + "?activity=%zz", header: auth(nil), want: 400, says: "malformed query"},
			{name: "unknown activity", target: path + "?activity=nope", header: auth(nil), want: 404, says: `no activity "nope"`},
			{name: "sku of another activity", target: path + "?activity=adm&sku=o1", header: auth(nil), want: 404, says: `has no sku "o1"`},
		}
	}
	routes := []struct {
		method, target, body string
		cases                []badCase
	}{
		{"GET", "/admin/stats", "", []badCase{{name: "unknown parameter", target: "/admin/stats?all=1", header: auth(nil), want: 400, says: `unknown parameter "all"`}}},
		{"POST", "/admin/pause?activity=adm&sku=p1", "", scoped("/admin/pause")},
		{"POST", "/admin/resume?activity=adm&sku=p1", "", scoped("/admin/resume")},
		{"PUT", "/admin/reservations?activity=adm", "1\n2\n", []badCase{
			{name: "no activity", target: "/admin/reservations", header: auth(nil), want: 400, says: `"activity" is required`},
			{name: "unknown activity", target: "/admin/reservations?activity=nope", header: auth(nil), want: 404, says: `no activity "nope"`},
			{name: "activity without reservations", target: "/admin/reservations?activity=open", header: auth(nil), want: 404, says: "does not require reservations"},
			{name: "not a uid", body: "1\nnot-a-uid\n", header: auth(nil), want: 400, says: "not-a-uid"},
			{name: "sku is not a parameter here", target: "/admin/reservations?activity=adm&sku=p1", header: auth(nil), want: 400, says: `unknown parameter "sku"`},
		}},
		{"POST", "/admin/stock?activity=open&sku=o1&stock=20", "", []badCase{
			{name: "no activity", target: "/admin/stock?sku=o1&stock=5", header: auth(nil), want: 400, says: `"activity" is required`},
			{name: "no sku", target: "/admin/stock?activity=open&stock=5", header: auth(nil), want: 400, says: `"sku" is required`},
			{name: "no stock", target: "/admin/stock?activity=open&sku=o1", header: auth(nil), want: 400, says: `"stock" is required`},
			{name: "misspelt parameter", target: "/admin/stock?activity=open&sku=o1&stok=5", header: auth(nil), want: 400, says: `unknown parameter "stok"`},
			{name: "repeated stock", target: "/admin/stock?activity=open&sku=o1&stock=5&stock=6", header: auth(nil), want: 400, says: "2 times"},
			{name: "stock not a number", target: "/admin/stock?activity=open&sku=o1&stock=ten", header: auth(nil), want: 400, says: `"ten" is not a whole number`},
			{name: "negative stock", target: "/admin/stock?activity=open&sku=o1&stock=-1", header: auth(nil), want: 400, says: `"-1" is not a whole number`},
			{name: "fractional stock", target: "/admin/stock?activity=open&sku=o1&stock=2.5", header: auth(nil), want: 400, says: "not a whole number"},
			{name: "stock over the maximum", target: "/admin/stock?activity=open&sku=o1&stock=100000001", header: auth(nil), want: 400, says: "above the most a sku may have"},
			{name: "stock below sold", target: "/admin/stock?activity=open&sku=o1&stock=2", header: auth(nil), want: 400, says: "below the 3 qualifications already issued"},
			{name: "unknown activity", target: "/admin/stock?activity=nope&sku=o1&stock=5", header: auth(nil), want: 404, says: `no activity "nope"`},
			{name: "unknown sku", target: "/admin/stock?activity=open&sku=zz&stock=5", header: auth(nil), want: 404, says: `has no sku "zz"`},
			{name: "sku of another activity", target: "/admin/stock?activity=adm&sku=o1&stock=5", header: auth(nil), want: 404, says: `has no sku "o1"`},
		}},
		{"POST", "/admin/end?activity=open", "", []badCase{
			{name: "no activity", target: "/admin/end", header: auth(nil), want: 400, says: `"activity" is required`},
			{name: "misspelt parameter", target: "/admin/end?activty=open", header: auth(nil), want: 400, says: `unknown parameter "activty"`},
			{name: "sku is not a parameter here", target: "/admin/end?activity=open&sku=o1", header: auth(nil), want: 400, says: `unknown parameter "sku"`},
			{name: "unknown activity", target: "/admin/end?activity=nope", header: auth(nil), want: 404, says: `no activity "nope"`},
		}},
		{"GET", "/admin/blocklist", "", []badCase{{name: "unknown parameter", target: "/admin/blocklist?uid=1", header: auth(nil), want: 400, says: `unknown parameter "uid"`}}},
		{"PUT", "/admin/blocklist", `{"uids":[1,2],"addrs":["192.0.2.1"]}`, []badCase{
			{name: "malformed JSON", body: `{"uids":[1,`, header: auth(nil), want: 400, says: "blocklist body"},
			{name: "misspelt field", body: `{"uid":[1]}`, header: auth(nil), want: 400, says: `unknown field "uid"`},
			{name: "not an address", body: `{"addrs":["1.2.3"]}`, header: auth(nil), want: 400, says: "1.2.3"},
			{name: "negative uid", body: `{"uids":[-1]}`, header: auth(nil), want: 400, says: "blocklist body"},
			{name: "two objects", body: `{"uids":[1]} {"uids":[]}`, header: auth(nil), want: 400, says: "more than one"},
		}},
		{"POST", "/admin/export?out=new.jsonl", "", []badCase{
			{name: "no out", target: "/admin/export", header: auth(nil), want: 400, says: "out"},
			{name: "unknown format", target: "/admin/export?format=xml&out=x.xml", header: auth(nil), want: 400, says: "xml"},
			{name: "a path", target: "/admin/export?out=" + filepath.Join(dir, "data", "MANIFEST-000001"), header: auth(nil), want: 400, says: "bare file name"},
			{name: "up and into the store", target: "/admin/export?out=../data/CURRENT", header: auth(nil), want: 400, says: "bare file name"},
			{name: "bad cursor", target: "/admin/export?out=w.jsonl&cursor=a/b", header: auth(nil), want: 400, says: "cursor"},
		}},
		{"GET", "/admin/push", "", nil},
		{"POST", "/admin/push?requeue=all", "", []badCase{
			{name: "push off", header: auth(nil), want: 404, says: "push is off"},
		}},
		{"GET", "/admin/memstats", "", []badCase{{name: "unknown parameter", target: "/admin/memstats?gc=1&x=2", header: auth(nil), want: 400, says: `unknown parameter "x"`}}},
		{"GET", "/debug/pprof/", "", nil},
		{"GET", "/", "", nil},
	}

	before := snapshotAdmin(t, srv, dir)
	for _, rt := range routes {
		for _, c := range append(common(rt.method), rt.cases...) {
			t.Run(rt.method+" "+strings.SplitN(rt.target, "?", 2)[0]+"/"+c.name, func(t *testing.T) {
				target, body := rt.target, rt.body
				if c.target != "" {
					target = c.target
				}
				if c.body != "" {
					body = c.body
				}
				status, answer := send(rt.method, target, body, c.header.Clone())
				var e struct{ Error string }
				json.Unmarshal([]byte(answer), &e)
				if status != c.want || !strings.Contains(e.Error, c.says) {
					t.Fatalf("%s %s: %d %s; want %d and a JSON error saying %q", rt.method, target, status, answer, c.want, c.says)
				}
			})
		}
	}
	// Paths and methods no route takes: JSON errors, 405 with Allow.
	for _, c := range []struct {
		method, target string
		want           int
		says, allow    string
	}{
		{"GET", "/admin/nope", 404, "no admin route /admin/nope", ""},
		{"POST", "/nope", 404, "no admin route /nope", ""},
		{"GET", "/admin/stock?activity=open&sku=o1&stock=20", 405, "method GET not allowed on /admin/stock", "POST"},
		{"DELETE", "/admin/blocklist", 405, "method DELETE not allowed", "GET, HEAD, PUT"},
		{"PUT", "/admin/end?activity=open", 405, "method PUT not allowed", "POST"},
	} {
		req, _ := http.NewRequest(c.method, "http://"+adminAddr+c.target, nil)
		req.Header.Set("Authorization", bearer)
		resp, err := adminHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error string }
		if json.Unmarshal(b, &e) != nil || resp.StatusCode != c.want || !strings.Contains(e.Error, c.says) ||
			resp.Header.Get("Allow") != c.allow || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %q Allow %q; want %d, a JSON error saying %q, Allow %q", c.method, c.target, resp.StatusCode, b, resp.Header.Get("Allow"), c.want, c.says, c.allow)
		}
	}
	if after := snapshotAdmin(t, srv, dir); !reflect.DeepEqual(before, after) {
		t.Fatalf("refused requests changed the engine:\nbefore %+v\nafter  %+v", before, after)
	}

	// The same requests, right, do change it: the snapshot can tell.
	for _, rt := range routes {
		status, answer := send(rt.method, rt.target, rt.body, auth(nil))
		if rt.target == "/admin/push?requeue=all" {
			continue // the push is off in this config
		}
		if status != 200 {
			t.Fatalf("%s %s with the token: %d %s", rt.method, rt.target, status, answer)
		}
	}
	if after := snapshotAdmin(t, srv, dir); reflect.DeepEqual(before, after) {
		t.Fatal("the valid requests changed nothing either: the snapshot sees nothing")
	}
}
