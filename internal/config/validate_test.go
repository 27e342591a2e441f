package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2021, 1, 12, 12, 0, 0, 0, time.UTC)

const (
	validAuth = `
[auth]
mode = "hmac"
secret = "0123456789abcdef0123"
`
	validActivity = `
[[activity]]
id = "a1"
start = "2021-01-12T12:00:00Z"
end = "+2h"
  [[activity.item]]
  sku = "s1"
  stock = 10
`
)

// problemFields returns the field of every problem in err, failing the test
// if err is not a Problems wrapping ErrInvalid.
func problemFields(t *testing.T, err error) map[string]bool {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v does not wrap ErrInvalid", err)
	}
	var problems Problems
	if !errors.As(err, &problems) {
		t.Fatalf("error %v is not Problems", err)
	}
	fields := map[string]bool{}
	for _, p := range problems {
		fields[p.Field] = true
	}
	return fields
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name       string
		toml       string
		wantFields []string
	}{
		{
			name: "every server field wrong at once",
			toml: `
[server]
listen = "nope"
admin_listen = "127.0.0.1"
read_buffer = 100
idle_timeout = "-1s"
max_connections = -1
batch_max = 70000
per_addr_per_sec = -5
shutdown_timeout = "11m"
retry_after = "2h"
front_end = "epoll"
` + validAuth + validActivity,
			wantFields: []string{
				"server.listen", "server.admin_listen", "server.read_buffer", "server.idle_timeout",
				"server.max_connections", "server.batch_max", "server.per_addr_per_sec",
				"server.shutdown_timeout", "server.retry_after", "server.front_end",
			},
		},
		{
			name: "every public-edge field wrong at once",
			toml: `
[server]
max_head_bytes = 512
cors_origins = ["https://shop.example/", "HTTPS://Shop.example", "shop.example", "https://ok.example"]
proxy_protocol = true
` + validAuth + validActivity,
			wantFields: []string{
				"server.max_head_bytes", "server.cors_origins[0]", "server.cors_origins[1]",
				"server.cors_origins[2]", "server.proxy_protocol",
			},
		},
		{
			name:       "bad trusted proxy",
			toml:       "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"10.0.0/8\", \"proxy.internal\"]\n" + validAuth + validActivity,
			wantFields: []string{"server.trusted_proxies[1]", "server.trusted_proxies[2]"},
		},
		{
			name:       "max_head_bytes too large",
			toml:       "[server]\nmax_head_bytes = 70000\n" + validAuth + validActivity,
			wantFields: []string{"server.max_head_bytes"},
		},
		{
			name:       "duration without unit is nanoseconds",
			toml:       "[server]\nidle_timeout = 5\n" + validAuth + validActivity,
			wantFields: []string{"server.idle_timeout"},
		},
		{
			name:       "unknown auth mode",
			toml:       "[auth]\nmode = \"jwt\"\n" + validActivity,
			wantFields: []string{"auth.mode"},
		},
		{
			name:       "hmac without secret",
			toml:       "[auth]\nmode = \"hmac\"\n" + validActivity,
			wantFields: []string{"auth.secret"},
		},
		{
			name:       "hmac with a short secret",
			toml:       "[auth]\nsecret = \"change-me\"\n" + validActivity,
			wantFields: []string{"auth.secret"},
		},
		{
			name:       "secret and secret_file both set",
			toml:       "[auth]\nsecret = \"0123456789abcdef0123\"\nsecret_file = \"testdata/secret.txt\"\n" + validActivity,
			wantFields: []string{"auth.secret_file"},
		},
		{
			name:       "unreadable secret_file",
			toml:       "[auth]\nsecret_file = \"testdata/no-such-file\"\n" + validActivity,
			wantFields: []string{"auth.secret_file"},
		},
		{
			name:       "token_max_ttl and captcha_secret",
			toml:       "[auth]\nsecret = \"0123456789abcdef0123\"\ntoken_max_ttl = \"1000h\"\ncaptcha_secret = \"short\"\n" + validActivity,
			wantFields: []string{"auth.token_max_ttl", "auth.captcha_secret"},
		},
		{
			name:       "no activities",
			toml:       validAuth,
			wantFields: []string{"activity"},
		},
		{
			name:       "duplicate activity ids",
			toml:       validAuth + validActivity + strings.Replace(validActivity, "s1", "s2", 1),
			wantFields: []string{"activity[1].id"},
		},
		{
			name: "bad names",
			toml: validAuth + `
[[activity]]
id = "a 1"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "s/1"
  stock = 1
  [[activity.item]]
  sku = "` + strings.Repeat("x", 65) + `"
  stock = 1
  [[activity.item]]
  stock = 1
`,
			wantFields: []string{"activity[0].id", "activity[0].item[0].sku", "activity[0].item[1].sku", "activity[0].item[2].sku"},
		},
		{
			name: "missing start and malformed end",
			toml: validAuth + `
[[activity]]
id = "a1"
end = "tomorrow"
  [[activity.item]]
  sku = "s1"
  stock = 1
`,
			wantFields: []string{"activity[0].start", "activity[0].end"},
		},
		{
			name: "malformed start, missing end elsewhere, end before start",
			toml: validAuth + `
[[activity]]
id = "a1"
start = "12pm"
end = "+1h"
  [[activity.item]]
  sku = "s1"
  stock = 1
[[activity]]
id = "a2"
start = "now"
  [[activity.item]]
  sku = "s2"
  stock = 1
[[activity]]
id = "a3"
start = "2021-01-12T12:00:00Z"
end = "2021-01-12T11:00:00Z"
  [[activity.item]]
  sku = "s3"
  stock = 1
[[activity]]
id = "a4"
start = "now"
end = "+0s"
  [[activity.item]]
  sku = "s4"
  stock = 1
`,
			wantFields: []string{"activity[0].start", "activity[1].end", "activity[2].end", "activity[3].end"},
		},
		{
			name: "activity enums, bounds and captcha",
			toml: validAuth + `
[[activity]]
id = "a1"
start = "now"
end = "+1h"
captcha = true
reservation = "maybe"
limit = "user"
queue = 2000000
admit_per_sec = -1
  [[activity.item]]
  sku = "s1"
  stock = 1
`,
			wantFields: []string{
				"activity[0].captcha", "activity[0].reservation", "activity[0].limit",
				"activity[0].queue", "activity[0].admit_per_sec",
			},
		},
		{
			name: "required reservation without a file, and a missing file",
			toml: validAuth + `
[[activity]]
id = "a1"
start = "now"
end = "+1h"
reservation = "required"
  [[activity.item]]
  sku = "s1"
  stock = 1
[[activity]]
id = "a2"
start = "now"
end = "+1h"
reservation = "required"
reservations_file = "testdata/no-such-file"
  [[activity.item]]
  sku = "s2"
  stock = 1
`,
			wantFields: []string{"activity[0].reservations_file", "activity[1].reservations_file"},
		},
		{
			name:       "no items",
			toml:       validAuth + "[[activity]]\nid = \"a1\"\nstart = \"now\"\nend = \"+1h\"\n",
			wantFields: []string{"activity[0].item"},
		},
		{
			name: "item bounds and duplicate sku",
			toml: validAuth + `
[[activity]]
id = "a1"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "s1"
  stock = 0
  price = -1
  release_per_sec = -1
  quota_percent = 1001
  waitlist = -1
  [[activity.item]]
  sku = "s1"
  stock = 100000001
  [[activity.item]]
  sku = "s3"
  stock = 1
  quota_percent = 50
`,
			wantFields: []string{
				"activity[0].item[0].stock", "activity[0].item[0].price", "activity[0].item[0].release_per_sec",
				"activity[0].item[0].quota_percent", "activity[0].item[0].waitlist", "activity[0].item[1].sku", "activity[0].item[1].stock",
				"activity[0].item[2].quota_percent",
			},
		},
		{
			name: "same sku in overlapping activities",
			toml: validAuth + validActivity + `
[[activity]]
id = "a2"
start = "2021-01-12T13:00:00Z"
end = "+2h"
  [[activity.item]]
  sku = "s1"
  stock = 10
`,
			wantFields: []string{"activity[1].item[0].sku"},
		},
		{
			name:       "bad blocklist address and push url",
			toml:       validAuth + "[export]\npush_url = \"ftp://mall/x\"\n[blocklist]\naddrs = [\"1.2.3.4\", \"1.2.3\", \"::1\", \"host\"]\n" + validActivity,
			wantFields: []string{"export.push_url", "export.push_secret", "blocklist.addrs[1]", "blocklist.addrs[3]"},
		},
		{
			name: "every push setting wrong at once",
			toml: validAuth + `
[export]
push_url = "http://mall.internal/w"
push_secret = "0123456789abcdef"
push_batch = 10001
push_timeout = "6m"
push_max_attempts = -1
push_backoff = "2h"
push_backoff_max = "1s"
` + validActivity,
			wantFields: []string{"export.push_batch", "export.push_timeout", "export.push_max_attempts", "export.push_backoff", "export.push_backoff_max"},
		},
		{
			name:       "push url without a secret",
			toml:       validAuth + "[export]\npush_url = \"https://mall/w\"\n" + validActivity,
			wantFields: []string{"export.push_secret"},
		},
		{
			name:       "push secret short, and both forms",
			toml:       validAuth + "[export]\npush_url = \"https://mall/w\"\npush_secret = \"short\"\npush_secret_file = \"/nonexistent/push.secret\"\npush_ca_file = \"/nonexistent/ca.pem\"\ndir = \"\"\n" + validActivity,
			wantFields: []string{"export.push_secret_file", "export.push_ca_file"},
		},
		{
			name:       "push durations without unit",
			toml:       validAuth + "[export]\npush_timeout = 5\npush_backoff_max = \"-1s\"\n" + validActivity,
			wantFields: []string{"export.push_timeout", "export.push_backoff_max"},
		},
		{
			name:       "unknown keys",
			toml:       "[server]\nlisten_addr = \":1\"\n[metrics]\non = true\n" + validAuth + validActivity + "  colour = \"red\"\n",
			wantFields: []string{"server.listen_addr", "metrics", "activity.item.colour"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.toml), ".", testNow)
			if err == nil {
				t.Fatal("Parse succeeded; want problems")
			}
			fields := problemFields(t, err)
			for _, want := range tt.wantFields {
				if !fields[want] {
					t.Errorf("no problem names %s; got:\n%v", want, err)
				}
				if !strings.Contains(err.Error(), want+": ") {
					t.Errorf("error text does not name %s", want)
				}
			}
			if len(fields) != len(tt.wantFields) {
				t.Errorf("got problems for %d fields, want %d:\n%v", len(fields), len(tt.wantFields), err)
			}
		})
	}
}

func TestParseValidEdges(t *testing.T) {
	tests := []struct {
		name string
		toml string
	}{
		{"minimal", validAuth + validActivity},
		{"auth none needs no secret", "[auth]\nmode = \"none\"\n" + validActivity},
		{"same sku in back-to-back windows", validAuth + validActivity + strings.Replace(validActivity,
			`id = "a1"
start = "2021-01-12T12:00:00Z"`, `id = "a2"
start = "2021-01-12T14:00:00Z"`, 1)},
		{"port 0 and empty host", "[server]\nlisten = \":0\"\n" + validAuth + validActivity},
		{"ipv6 listener", "[server]\nlisten = \"[::1]:8080\"\n" + validAuth + validActivity},
		{"public edge", "[server]\nmax_head_bytes = 65536\ncors_origins = [\"https://www.example-mall.com\", \"http://127.0.0.1:8080\"]\nproxy_protocol = true\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"::ffff:192.168.0.0/112\", \"fd00::/8\"]\n" + validAuth + validActivity},
		{"push at the limits", validAuth + "[export]\npush_url = \"https://mall:8443/w\"\npush_secret = \"0123456789abcdef\"\npush_batch = 10000\npush_timeout = \"5m\"\npush_max_attempts = 1\npush_backoff = \"1h\"\npush_backoff_max = \"1h\"\n" + validActivity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.toml), ".", testNow); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTrustedProxiesAreMaskedAndUnmapped(t *testing.T) {
	c, err := Parse([]byte("[server]\ntrusted_proxies = [\"127.0.0.7\", \"10.1.2.3/8\", \"::ffff:192.168.0.0/112\"]\n"+validAuth+validActivity), ".", testNow)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Server.ParsedTrustedProxies {
		got = append(got, p.String())
	}
	if want := "127.0.0.7/32 10.0.0.0/8 192.168.0.0/16"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	if c.Server.MaxHeadBytes != DefaultMaxHeadBytes {
		t.Errorf("max_head_bytes default %d", c.Server.MaxHeadBytes)
	}
}

func TestParseSyntaxError(t *testing.T) {
	tests := []struct {
		name     string
		toml     string
		wantText string
	}{
		{"unclosed table", "[server\nlisten = 1\n", "line 2, column 8"},
		{"wrong type", validAuth + "[server]\nread_buffer = \"big\"\n", "line 6"},
		{"bad duration", validAuth + "[server]\n\nidle_timeout = \"5 seconds\"\n", "line 7, column 17"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.toml), ".", testNow)
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("got %v; want ErrSyntax", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
		})
	}
}

func TestAdminValidation(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/tok", "0123456789abcdef0123456789abcdef\n")
	writeFile(t, dir+"/short", "abc\n")
	tests := []struct {
		name       string
		toml       string
		wantFields []string // nil: valid
	}{
		{"loopback without a token", `[server]
admin_listen = "127.0.0.1:8081"`, nil},
		{"localhost without a token", `[server]
admin_listen = "localhost:8081"`, nil},
		{"IPv6 loopback without a token", `[server]
admin_listen = "[::1]:8081"`, nil},
		{"every interface without a token", `[server]
admin_listen = "0.0.0.0:8081"`, []string{"admin.token"}},
		{"empty host without a token", `[server]
admin_listen = ":8081"`, []string{"admin.token"}},
		{"private address without a token", `[server]
admin_listen = "10.0.0.5:8081"`, []string{"admin.token"}},
		{"private address with a token file", `[server]
admin_listen = "10.0.0.5:8081"
[admin]
token_file = "tok"`, nil},
		{"short inline token", `[admin]
token = "short"`, []string{"admin.token"}},
		{"short token file", `[admin]
token_file = "short"`, []string{"admin.token_file"}},
		{"missing token file", `[admin]
token_file = "nope"`, []string{"admin.token_file"}},
		{"both", `[admin]
token = "0123456789abcdef0123"
token_file = "tok"`, []string{"admin.token_file"}},
		{"bad hosts", `[admin]
hosts = ["ok.internal", "", "http://x/"]`, []string{"admin.hosts[1]", "admin.hosts[2]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.toml+"\n"+validAuth+validActivity), dir, testNow)
			if tt.wantFields == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tt.name == "private address with a token file" && string(c.Admin.TokenBytes) != "0123456789abcdef0123456789abcdef" {
					t.Fatalf("token %q: the file's newline is not trimmed", c.Admin.TokenBytes)
				}
				return
			}
			fields := problemFields(t, err)
			for _, f := range tt.wantFields {
				if !fields[f] {
					t.Errorf("no problem for %s in %v", f, err)
				}
			}
			if len(fields) != len(tt.wantFields) {
				t.Errorf("problems %v; want only %v", err, tt.wantFields)
			}
		})
	}
}
