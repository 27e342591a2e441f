package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/live/token"
	"seckill/internal/testkit/httpget"
	"seckill/replay"
	"seckill/wal"
)

// TestLapseAcrossKill kill -9s the engine right after the mall sent a lapse
// report, at a random moment around its commit, for each of three seqs in
// turn; after each restart the mall repeats the report (as it must, having
// no answer). Each lapse promotes its waitlisted user exactly once: one
// promoted record per seq in the store, the promoted user's /result says
// won, and replay passes.
func TestLapseAcrossKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const adminToken = "lapse-admin-token-0123456789abcdef"
	dir := t.TempDir()
	addr, adminAddr := freeAddr(t), freeAddr(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[server]
listen = %q
admin_listen = %q
data_dir = %q
drain_delay = "0s"
[admin]
token = %q
[auth]
mode = "hmac"
secret = %q
[[activity]]
id = "lapse"
start = "now"
end = "+1h"
  [[activity.item]]
  sku = "x"
  stock = 1
  quota_percent = 300
  waitlist = 3
`, addr, adminAddr, filepath.Join(dir, "data"), adminToken, crashSecret))
	get := func(path string, uid uint64) won {
		t.Helper()
		tok := token.Mint([]byte(crashSecret), uid, time.Now().Add(time.Hour).Unix())
		resp, err := httpget.Get(addr, path+"?sku=x&token="+tok, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var r won
		json.Unmarshal(resp.Body, &r)
		return r
	}
	report := func(seq, uid uint64) (int, error) {
		req, _ := http.NewRequest("POST", fmt.Sprintf("http://%s/admin/qualification?activity=lapse&sku=x&seq=%d&state=lapsed&uid=%d", adminAddr, seq, uid), nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	srv := startChild(t, addr, cfg)
	holder := map[uint64]uint64{} // seq → uid
	for uid := uint64(1); uid <= 6; uid++ {
		r := get("/buy", uid)
		switch {
		case uid <= 3 && r.Result == "won":
			holder[r.Seq] = uid
		case uid > 3 && r.Result == "waitlisted":
		default:
			t.Fatalf("uid %d: %+v", uid, r)
		}
	}
	for seq := uint64(1); seq <= 3; seq++ {
		go report(seq, holder[seq]) // the answer may never come
		time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
		srv.kill()
		srv = startChild(t, addr, cfg)
		if status, err := report(seq, holder[seq]); err != nil || status != 200 {
			t.Fatalf("seq %d: the repeated report: %d %v", seq, status, err)
		}
		promoted := seq + 3 // waitlist place seq
		if r := get("/result", promoted); r.Result != "won" || r.Seq != seq {
			t.Fatalf("seq %d: the promoted uid %d's /result: %+v", seq, promoted, r)
		}
	}
	srv.stop(t)

	log, err := wal.Open(filepath.Join(dir, "data"), wal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	promotions, lapses := map[uint64]int{}, map[uint64]int{}
	err = log.ScanControls(func(r *wal.ControlRecord) error {
		switch r.Control.Kind {
		case engine.ControlPromoted:
			promotions[r.Control.Num]++
		case engine.ControlLapsed:
			lapses[r.Control.Num]++
		}
		return r.Err
	})
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 3; seq++ {
		if promotions[seq] != 1 || lapses[seq] != 1 {
			t.Errorf("seq %d: %d lapse records, %d promotions; want exactly one each", seq, lapses[seq], promotions[seq])
		}
	}
	rep, err := replay.Audit(log, replay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		var failed []string
		for _, c := range rep.Checks {
			if !c.Pass {
				failed = append(failed, c.Name)
			}
		}
		t.Fatalf("replay after the kills fails: %s", strings.Join(failed, ", "))
	}
}
