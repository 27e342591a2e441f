package main

import (
	"encoding/json"
	"fmt"
	"io"
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

// lapseSyncHold is how long every WAL sync of the child that is killed
// mid-report takes (slowSyncEnv): the lapse report's commit is held that
// long before it returns, so the kill, lapseKillAfter after the report was
// sent, lands while the report is decided (and may be written) but not yet
// durable or answered. The client proves it: no answer before the kill, a
// broken connection after.
const (
	lapseSyncHold  = 1500 * time.Millisecond
	lapseKillAfter = 300 * time.Millisecond
)

// TestLapseAcrossKill kill -9s the engine around the commit of a lapse
// report, for each of three seqs in turn: for seqs 1 and 3 while the
// report's POST is provably unanswered (its commit held by slow syncs), for
// seq 2 right after its answer. After each restart the mall repeats the
// report (as it must, having no answer, or as a retry). Each lapse promotes
// its waitlisted user exactly once: one lapse and one promoted record per
// seq in the store, the promoted user's /result says won, and replay
// passes.
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
	reportBody := func(seq, uid uint64) (int, string, error) {
		req, _ := http.NewRequest("POST", fmt.Sprintf("http://%s/admin/qualification?activity=lapse&sku=x&seq=%d&state=lapsed&uid=%d", adminAddr, seq, uid), nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	report := func(seq, uid uint64) (int, error) {
		status, _, err := reportBody(seq, uid)
		return status, err
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
		if seq == 2 {
			// The kill lands after the answer: the mall retries anyway.
			if status, err := report(seq, holder[seq]); err != nil || status != 200 {
				t.Fatalf("seq %d: the report: %d %v", seq, status, err)
			}
			srv.kill()
		} else {
			// The kill lands while the report's commit is held.
			srv.stop(t)
			srv = startChild(t, addr, cfg, "env", fmt.Sprintf("%s=%s", slowSyncEnv, lapseSyncHold))
			answered := make(chan error, 1)
			go func() {
				status, err := report(seq, holder[seq])
				if err == nil {
					err = fmt.Errorf("answered %d", status)
				}
				answered <- err
			}()
			time.Sleep(lapseKillAfter)
			select {
			case err := <-answered:
				t.Fatalf("seq %d: the report was answered (%v) before the kill: the kill would not land before its commit", seq, err)
			default:
			}
			srv.kill()
			if err := <-answered; strings.HasPrefix(err.Error(), "answered") {
				t.Fatalf("seq %d: the report was %v by a killed engine", seq, err)
			}
		}
		srv = startChild(t, addr, cfg)
		status, body, err := reportBody(seq, holder[seq])
		if err != nil || status != 200 {
			t.Fatalf("seq %d: the repeated report: %d %v", seq, status, err)
		}
		t.Logf("seq %d: the repeated report after the kill: %s", seq, body)
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
