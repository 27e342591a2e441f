package server

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"seckill/engine"
	"seckill/internal/config"
)

// economicsTamperConfig is qualificationConfig with the seed's overbooking
// (200 %) and a waitlist of 3 on redmi.
var economicsTamperConfig = strings.Replace(qualificationConfig, "  stock = 2\n  waitlist = 1\n", "  stock = 2\n  quota_percent = 200\n  waitlist = 3\n", 1)

// TestEconomicsStoredLogTampered runs a real sale on a real store (uids
// 1-4 win the quota of 4, 5-7 are waitlisted; the mall reports uid 1's seq
// paid and uid 2's and uid 3's lapsed, which promotes uids 5 and 6), then,
// on a copy of the store for each trial, rewrites the SKU's control strand
// at the storage level as an insider would — every record after the edit
// re-chained and the head marker moved, so that only the economics rules
// can tell — and checks that the audit (as `seckill replay` runs it) fails
// the economics check and nothing else, and that recovery refuses to open
// the store.
func TestEconomicsStoredLogTampered(t *testing.T) {
	dir := t.TempDir()
	adminAddr := freeAddr(t)
	cfg := strings.Replace(economicsTamperConfig, "ADMIN", adminAddr, 1)
	addr, stop := startServer(t, cfg, dir)
	admin := adminAPI(t, adminAddr, dir)
	seqOf := map[uint64]uint64{}
	for uid := uint64(1); uid <= 7; uid++ {
		r, _, err := buyUntilFinal(addr, "redmi", uid)
		switch {
		case err != nil:
			t.Fatal(err)
		case uid <= 4 && r.Result == "won":
			seqOf[uid] = r.Seq
		case uid > 4 && r.Result == "waitlisted" && r.Position == uid-4:
		default:
			t.Fatalf("uid %d: %+v", uid, r)
		}
	}
	for _, rp := range []struct {
		uid   uint64
		state string
	}{{1, "paid"}, {2, "lapsed"}, {3, "lapsed"}} {
		if status, body := admin("POST", "/admin/qualification?activity=econ&sku=redmi&seq="+itoa(seqOf[rp.uid])+"&state="+rp.state, ""); status != 200 {
			t.Fatalf("report uid %d %s: %d %s", rp.uid, rp.state, status, body)
		}
	}
	stop()
	data := filepath.Join(dir, "data")
	if rep := auditDir(t, data); !rep.OK {
		t.Fatalf("the untouched sale does not replay clean: %+v", rep.Checks)
	}

	// at finds the n-th (0-based) record of kind in the strand.
	at := func(strand []engine.Control, kind engine.ControlKind, n int) int {
		for i := range strand {
			if strand[i].Kind == kind {
				if n == 0 {
					return i
				}
				n--
			}
		}
		t.Fatalf("the sale's strand has no %s record #%d", kind, n)
		return -1
	}
	trials := []struct {
		name   string
		tamper func(strand []engine.Control) []engine.Control
	}{
		{"a promoted record's uid edited", func(s []engine.Control) []engine.Control {
			s[at(s, engine.ControlPromoted, 0)].UID = 7
			return s
		}},
		{"a promoted record's ticket edited", func(s []engine.Control) []engine.Control {
			s[at(s, engine.ControlPromoted, 0)].Digest[3] ^= 1
			return s
		}},
		{"a lapse record deleted", func(s []engine.Control) []engine.Control {
			return slices.Delete(s, at(s, engine.ControlLapsed, 0), at(s, engine.ControlLapsed, 0)+1)
		}},
		{"two waitlisted records reordered", func(s []engine.Control) []engine.Control {
			i, j := at(s, engine.ControlWaitlisted, 0), at(s, engine.ControlWaitlisted, 1)
			s[i], s[j] = s[j], s[i]
			return s
		}},
		{"a paid record changed into lapsed", func(s []engine.Control) []engine.Control {
			s[at(s, engine.ControlPaid, 0)].Kind = engine.ControlLapsed
			return s
		}},
		{"a waitlisted record dropped", func(s []engine.Control) []engine.Control {
			return slices.Delete(s, at(s, engine.ControlWaitlisted, 0), at(s, engine.ControlWaitlisted, 0)+1)
		}},
	}
	for _, tc := range trials {
		t.Run(tc.name, func(t *testing.T) {
			copyDir := copyStore(t, data)
			rewriteStrand(t, copyDir, "econ", "redmi", tc.tamper)
			rep := auditDir(t, copyDir)
			var failed []string
			for _, c := range rep.Checks {
				if !c.Pass {
					failed = append(failed, c.Name)
					for _, o := range c.Records {
						t.Logf("%s: %s/%s seq %d uid %d: %s", c.Name, o.Activity, o.SKU, o.Seq, o.UID, o.Reason)
					}
				}
			}
			if rep.OK || !slices.Equal(failed, []string{"economics"}) {
				t.Errorf("failing checks %v (ok %v), want [economics]", failed, rep.OK)
			}
			openRefused(t, cfg, copyDir)
		})
	}
}

// openRefused opens an engine on the tampered store in dir: recovery must
// refuse it, naming the broken economics rule.
func openRefused(t *testing.T, cfgText, dir string) {
	t.Helper()
	cfgText = strings.NewReplacer("LISTEN", freeAddr(t), "DATADIR", dir).Replace(cfgText)
	cfg, err := config.Parse([]byte(cfgText), filepath.Dir(dir), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Open(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		srv.store.Close()
		t.Fatal("recovery opened the tampered store")
	}
	if !errors.Is(err, engine.ErrBadControl) {
		t.Fatalf("recovery refused it, but not for its economics: %v", err)
	}
	t.Logf("recovery: %v", err)
}
