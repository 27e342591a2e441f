package server

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"seckill/internal/app/admin"
	"seckill/internal/config"
	"seckill/internal/testkit/httpget"
	"seckill/wal"
)

// TestReloadRacedBySale drives the race Reload's checks cannot close: the
// plan is checked (b's stock lowered to 3 with 2 qualifications issued),
// then a sale issues 2 more before the change reaches b's shard, which
// refuses it. The reload fails part way, deterministically here: a's raise
// (made first) is in force and recorded, b is as it was, the error names
// b's field and the shard's reason, the applied list names exactly a's
// field, and the file as last applied stays the old one, so the same file
// sent again is refused whole by the checks, naming b's field.
func TestReloadRacedBySale(t *testing.T) {
	dir := t.TempDir()
	start := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	text := func(stockA, stockB int) string {
		return fmt.Sprintf(`
[server]
listen = "LISTEN"
data_dir = "DATADIR"
drain_delay = "0s"
[auth]
mode = "hmac"
secret = "%s"
[[activity]]
id = "race"
start = %q
end = "+1h"
  [[activity.item]]
  sku = "a"
  stock = %d
  [[activity.item]]
  sku = "b"
  stock = %d
`, testSecret, start.Format(time.RFC3339), stockA, stockB)
	}
	r := launch(t, text(5, 5), dir, wal.Options{})
	defer func() {
		r.cancel()
		if err := <-r.done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	s := r.srv
	buy := func(sku string, uid uint64) {
		t.Helper()
		resp, err := httpget.Get(r.addr, "/buy?sku="+sku+"&token="+tokenFor(uid), 5*time.Second)
		if err != nil || !strings.Contains(string(resp.Body), `"won"`) {
			t.Fatalf("uid %d on %s: %v %s", uid, sku, err, resp.Body)
		}
	}
	buy("b", 1)
	buy("b", 2)
	next, err := config.Parse([]byte(strings.NewReplacer("LISTEN", r.addr, "DATADIR", filepath.Join(dir, "data")).Replace(text(8, 3))), dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	s.reloadMu.Lock()
	plan, refused := s.planReload(s.fileCfg, next, time.Now())
	s.reloadMu.Unlock()
	if len(refused) > 0 {
		t.Fatalf("the plan is refused before the race: %v", refused)
	}
	buy("b", 3) // the sale moves on between the checks and the change
	buy("b", 4)
	s.reloadMu.Lock()
	applied, err := s.applyReload(plan)
	s.reloadMu.Unlock()
	if !errors.Is(err, admin.ErrRefused) || !strings.Contains(err.Error(), "activity[0].item[1].stock") || !strings.Contains(err.Error(), "below the 4 qualifications") {
		t.Fatalf("the raced reload: %v", err)
	}
	if !slices.Equal(applied, []string{"activity[0].item[0].stock"}) {
		t.Fatalf("applied %v, want a's stock only", applied)
	}
	quota := func(sku string) int64 { return s.loopsOf("race", sku)[0].Public().Quota() }
	if quota("a") != 8 || quota("b") != 5 {
		t.Fatalf("quotas after the raced reload: a %d b %d, want 8 and 5", quota("a"), quota("b"))
	}

	applied, err = s.Reload(next)
	var problems config.Problems
	if !errors.As(err, &problems) || len(applied) != 0 || len(problems) != 1 || problems[0].Field != "activity[0].item[1].stock" {
		t.Fatalf("the same file again: applied %v, %v", applied, err)
	}
}
