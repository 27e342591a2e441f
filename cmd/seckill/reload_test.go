package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"seckill/internal/testkit/httpget"
)

// reloadFile is the config file of TestSIGHUPReloads, with what the test
// edits between reloads.
type reloadFile struct {
	readBuffer    int
	failText      string
	blocked       string
	quotaPercent  int
	stock         int
	end           string
	secondRound   bool
	queue         int // 0: not in the file
	releasePerSec int
	waitlist      int
}

func (f reloadFile) text(addr, data string, start time.Time) string {
	s := fmt.Sprintf(`
[server]
listen = %q
data_dir = %q
drain_delay = "0s"
read_buffer = %d
[auth]
mode = "none"
[blocklist]
uids = [%s]
[[activity]]
id = "hup"
start = %q
end = %q
fail_text = %q
  [[activity.item]]
  sku = "x"
  stock = %d
  quota_percent = %d
  release_per_sec = %d
  waitlist = %d
`, addr, data, f.readBuffer, f.blocked, start.Format(time.RFC3339), f.end, f.failText, f.stock, f.quotaPercent, f.releasePerSec, f.waitlist)
	if f.queue != 0 {
		s = strings.Replace(s, "fail_text =", fmt.Sprintf("queue = %d\nfail_text =", f.queue), 1)
	}
	if f.secondRound {
		s += fmt.Sprintf(`
[[activity]]
id = "hup2"
title = "Round two"
start = %q
end = "+1h"
  [[activity.item]]
  sku = "y"
  stock = 3
`, start.Format(time.RFC3339))
	}
	return s
}

// TestSIGHUPReloads sends a serving engine SIGHUP after each edit of its
// config file. The process keeps serving. Allowed changes — a blocklist, a
// fail_text, a new round (which the blocklist in force reaches), a stock
// raise, an end moved earlier and then later (buys after the old end are
// decided, not ended), a waitlist, a release rate, a quota_percent, an end
// moved to the past — apply at once and show in the answers and /stock; a
// file that also changes what needs a restart (read_buffer, queue, start),
// or sets a stock below the qualifications issued or a waitlist below the
// users in it, is refused whole: each refused field is named in the log
// with its reason and nothing changes, not even the allowed part; a broken
// file changes nothing. After a restart the audit passes and its report
// shows the reloads' and the new round's config records and every change
// as a control record, source config.
func TestSIGHUPReloads(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	start := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	file := reloadFile{readBuffer: 1024, failText: "gone", quotaPercent: 100, stock: 5, end: "+1h"}
	cfg := writeConfig(t, dir, file.text(addr, data, start))
	srv := startChild(t, addr, cfg)
	defer func() {
		if !srv.hasExited() {
			srv.stop(t)
		}
	}()
	get := func(target string) (int, string) {
		t.Helper()
		resp, err := httpget.Get(addr, target, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Status, string(resp.Body)
	}
	hangup := func(text, wantLog string) {
		t.Helper()
		logged := strings.Count(srv.logText(), wantLog)
		writeConfig(t, dir, text)
		srv.cmd.Process.Signal(syscall.SIGHUP)
		for deadline := time.Now().Add(10 * time.Second); strings.Count(srv.logText(), wantLog) == logged; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no new %q in the log after SIGHUP:\n%s", wantLog, srv.logText())
			}
		}
	}

	allowed := file
	allowed.blocked, allowed.failText, allowed.secondRound, allowed.stock = "2", "all gone", true, 7
	hangup(allowed.text(addr, data, start), "SIGHUP: applied")
	if st, body := get("/buy?sku=x&uid=2"); st != 403 || !strings.Contains(body, "blocked") {
		t.Fatalf("uid 2 after it was blocked by SIGHUP: %d %s", st, body)
	}
	if _, body := get("/stock?sku=y"); !strings.Contains(body, `"activity":"hup2"`) || !strings.Contains(body, `"state":"on_sale"`) {
		t.Fatalf("the round added by SIGHUP: %s", body)
	}
	if st, body := get("/buy?sku=y&uid=2"); st != 403 || !strings.Contains(body, "blocked") {
		t.Fatalf("uid 2 on the round added by SIGHUP: %d %s", st, body)
	}
	if _, body := get("/stock?sku=x"); !strings.Contains(body, `"remaining":7`) {
		t.Fatalf("/stock after the stock was raised to 7 by SIGHUP: %s", body)
	}
	for uid := 10; uid < 13; uid++ {
		if st, body := get(fmt.Sprintf("/buy?sku=y&uid=%d", uid)); st != 200 || !strings.Contains(body, `"won"`) {
			t.Fatalf("uid %d on the added round: %d %s", uid, st, body)
		}
	}
	for uid := 20; uid < 27; uid++ {
		if st, body := get(fmt.Sprintf("/buy?sku=x&uid=%d", uid)); st != 200 || !strings.Contains(body, `"won"`) {
			t.Fatalf("uid %d: %d %s", uid, st, body)
		}
	}
	if _, body := get("/buy?sku=x&uid=30"); !strings.Contains(body, `"message":"all gone"`) {
		t.Fatalf("sold out after the fail_text was reloaded: %s", body)
	}

	refused := allowed
	refused.readBuffer, refused.quotaPercent, refused.failText, refused.blocked = 2048, 50, "changed again", "2, 3"
	refused.stock, refused.queue = 6, 64 // a quota of 3, below the 7 qualifications issued; the inbox's bound
	hangup(refused.text(addr, data, start), "SIGHUP: changes refused")
	log := srv.logText()
	for _, field := range []string{"field=server.read_buffer", "field=activity[0].item[0].stock", "field=activity[0].queue"} {
		if !strings.Contains(log, field) {
			t.Errorf("the refusal does not name %s:\n%s", field, log)
		}
	}
	if !strings.Contains(log, "inbox bound is set once") || !strings.Contains(log, "below the 7 qualifications already issued") {
		t.Errorf("the refusals do not say why:\n%s", log)
	}
	if strings.Contains(log, "field=activity[0].fail_text") || strings.Contains(log, "field=blocklist") {
		t.Errorf("an allowed change is listed as refused:\n%s", log)
	}
	if _, body := get("/buy?sku=x&uid=31"); !strings.Contains(body, `"message":"all gone"`) {
		t.Fatalf("a refused reload changed the fail_text: %s", body)
	}
	if st, _ := get("/buy?sku=y&uid=3"); st == 403 {
		t.Fatal("a refused reload changed the blocklist")
	}

	if _, body := get("/stock?sku=x"); !strings.Contains(body, `"state":"sold_out"`) {
		t.Fatalf("/stock after a refused stock: %s", body)
	}

	hangup("[server]\nlisten = 42\n", "SIGHUP: config file refused")
	if st, body := get("/stock?sku=x"); st != 200 {
		t.Fatalf("engine after a broken file's SIGHUP: %d %s", st, body)
	}
	if st, _ := get("/buy?sku=x&uid=2"); st != 403 {
		t.Fatal("the blocklist was lost")
	}

	// The end moved earlier, but still ahead: a set_end record; /stock
	// follows it.
	oldEnd := time.Now().Add(4 * time.Second).Truncate(time.Second)
	earlier := allowed
	earlier.end = oldEnd.UTC().Format(time.RFC3339)
	hangup(earlier.text(addr, data, start), "SIGHUP: applied")
	if _, body := get("/stock?sku=x"); !strings.Contains(body, fmt.Sprintf(`"end_unix":%d`, oldEnd.Unix())) {
		t.Fatalf("/stock after the end moved to %v: %s", oldEnd, body)
	}
	// Then later, with a waitlist and a release rate: once the old end
	// has passed, buys of the sold-out SKU join the waitlist (not ended).
	newEnd := time.Now().Add(time.Hour).Truncate(time.Second)
	later := earlier
	later.end, later.waitlist, later.releasePerSec = newEnd.UTC().Format(time.RFC3339), 2, 1
	hangup(later.text(addr, data, start), "SIGHUP: applied")
	time.Sleep(time.Until(oldEnd) + 100*time.Millisecond)
	for i, uid := range []int{50, 51} { // in order: the positions are the answer order
		want := fmt.Sprintf(`"position":%d`, i+1)
		if _, body := get(fmt.Sprintf("/buy?sku=x&uid=%d", uid)); !strings.Contains(body, `"waitlisted"`) || !strings.Contains(body, want) {
			t.Fatalf("uid %d after the old end, with a waitlist of 2 reloaded: %s", uid, body)
		}
	}
	if _, body := get("/buy?sku=x&uid=52"); !strings.Contains(body, "sold_out") {
		t.Fatalf("uid 52 beyond the reloaded waitlist: %s", body)
	}
	if _, body := get("/stock?sku=x"); !strings.Contains(body, fmt.Sprintf(`"end_unix":%d`, newEnd.Unix())) || !strings.Contains(body, `"state":"sold_out"`) {
		t.Fatalf("/stock after the end moved to %v: %s", newEnd, body)
	}
	// A waitlist below the users in it, or a start change, is refused.
	short := later
	short.waitlist = 1
	hangup(short.text(addr, data, start.Add(time.Second)), "SIGHUP: changes refused")
	log = srv.logText()
	for _, want := range []string{"field=activity[0].item[0].waitlist", "below the 2 users already waitlisted", "field=activity[0].start", "a start is fixed"} {
		if !strings.Contains(log, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, log)
		}
	}
	// quota_percent 200: the quota doubles (7 more qualifications); the
	// two waiting users are served first, in one second (a raise serves
	// the waitlist in order, and those wins are not releases: replay's
	// release_rate check below passes), the other 5 are sold at the
	// reloaded release rate of one a second.
	doubled := later
	doubled.quotaPercent = 200
	hangup(doubled.text(addr, data, start), "SIGHUP: applied")
	if _, body := get("/stock?sku=x"); !strings.Contains(body, `"remaining":5`) {
		t.Fatalf("/stock after quota_percent 200: %s", body)
	}
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	results := map[string]int{}
	for uid := 60; uid < 63; uid++ {
		_, body := get(fmt.Sprintf("/buy?sku=x&uid=%d", uid))
		var r struct{ Result string }
		json.Unmarshal([]byte(body), &r)
		results[r.Result]++
	}
	if results["won"] < 1 || results["busy"] < 1 || results["won"]+results["busy"] != 3 {
		t.Fatalf("three buys within a second at release_per_sec 1: %v", results)
	}

	// The end moved into the past: the round ends now.
	ended := doubled
	ended.end = "+30s"
	hangup(ended.text(addr, data, start), "SIGHUP: applied")
	if st, body := get("/buy?sku=x&uid=40"); st != 410 || !strings.Contains(body, `"ended"`) {
		t.Fatalf("a buy after SIGHUP ended the round: %d %s", st, body)
	}
	if _, body := get("/stock?sku=x"); !strings.Contains(body, `"state":"ended"`) {
		t.Fatalf("/stock after SIGHUP ended the round: %s", body)
	}

	// Restart on the file as applied: the added round is the file's now.
	srv.stop(t)
	srv = startChild(t, addr, cfg)
	if _, body := get("/stock?sku=y"); !strings.Contains(body, `"state":"sold_out"`) {
		t.Fatalf("the added round after a restart: %s", body)
	}
	if _, body := get("/stock?sku=x"); !strings.Contains(body, `"state":"ended"`) {
		t.Fatalf("the ended round after a restart: %s", body)
	}
	srv.stop(t)

	code, out := replayChild(t, "-data", data, "-json")
	var rep struct {
		OK      bool `json:"ok"`
		Configs []struct {
			Activity string `json:"activity"`
			Reason   string `json:"reason"`
		} `json:"configs"`
		Changes []struct {
			Activity string `json:"activity"`
			Kind     string `json:"kind"`
			Source   string `json:"source"`
			Detail   string `json:"detail"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || !rep.OK {
		t.Fatalf("replay after the reloads: exit %d, %v\n%s", code, err, out)
	}
	var notes []string
	for _, c := range rep.Configs {
		notes = append(notes, c.Activity+":"+c.Reason)
	}
	// A config record for each reload that changed hup's recorded
	// configuration (the end now changes none); the restart on the ended
	// file records hup's new end (reason start).
	if got := strings.Join(notes, ","); got != "hup:start,hup:reload,hup:reload,hup:reload,hup:reload,hup:start,hup2:added" {
		t.Fatalf("config records in the audit: %s", got)
	}
	var changes []string
	for _, c := range rep.Changes {
		if c.Activity == "hup" && c.Kind != "blocklist" {
			changes = append(changes, c.Kind+":"+c.Source+":"+c.Detail)
		}
	}
	want := strings.Join([]string{"set_stock:config:stock 7, quota 7",
		"set_end:config:end " + oldEnd.UTC().Format(time.RFC3339Nano),
		"set_waitlist:config:waitlist 2", "set_end:config:end " + newEnd.UTC().Format(time.RFC3339Nano), "release_rate:config:release_per_sec 1",
		"waitlisted:sale:", "waitlisted:sale:", // uids 50 and 51
		"set_stock:config:stock 7, quota 14", "end_now:config:"}, ",")
	if got := strings.Join(changes, ","); got != want {
		t.Fatalf("the reloads' changes in the audit:\n%s\nwant\n%s", got, want)
	}
}
