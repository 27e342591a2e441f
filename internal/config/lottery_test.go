package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const lotteryActivity = `
[[activity]]
id = "a1"
start = "2021-01-12T12:00:00Z"
end = "+2h"
opening_lottery = "500ms"
lottery_beacon = "drand quicknet round 1234567"
lottery_seed_file = "seed.bin"
  [[activity.item]]
  sku = "s1"
  stock = 10
  release_per_sec = 10
`

// TestLotteryConfig: a valid lottery reads its seed raw or as hex and gets
// the default entrant bound; a wrong-size seed, a window as long as the
// round, a release rate below the quota, and lottery fields without a
// lottery are refused, each naming its field.
func TestLotteryConfig(t *testing.T) {
	dir := t.TempDir()
	seed := bytes.Repeat([]byte{0xab}, 32)
	write := func(content []byte) {
		if err := os.WriteFile(filepath.Join(dir, "seed.bin"), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, form := range [][]byte{seed, []byte(strings.Repeat("ab", 32) + "\n")} {
		write(form)
		c, err := Parse([]byte(validAuth+lotteryActivity), dir, testNow)
		if err != nil {
			t.Fatal(err)
		}
		a := &c.Activities[0]
		if !a.HasLotterySeed || !bytes.Equal(a.LotterySeed[:], seed) || a.LotteryMaxEntrants != DefaultLotteryMaxEntrants {
			t.Fatalf("seed %x (%v), max entrants %d", a.LotterySeed, a.HasLotterySeed, a.LotteryMaxEntrants)
		}
	}
	tests := []struct {
		name, seed, toml string
		want             []string
	}{
		{"seed of 31 bytes", strings.Repeat("x", 31), lotteryActivity, []string{"activity[0].lottery_seed_file"}},
		{"seed of 33 bytes", strings.Repeat("x", 33), lotteryActivity, []string{"activity[0].lottery_seed_file"}},
		{"window as long as the round", string(seed), strings.Replace(lotteryActivity, `"500ms"`, `"2h"`, 1), []string{"activity[0].opening_lottery"}},
		{"window longer than pay_within", string(seed), strings.Replace(lotteryActivity, `opening_lottery = "500ms"`, "opening_lottery = \"90s\"\npay_within = \"1m\"", 1), []string{"activity[0].opening_lottery"}},
		{"pay_within beyond a month", string(seed), strings.Replace(lotteryActivity, "opening_lottery", "pay_within = \"721h\"\nopening_lottery", 1), []string{"activity[0].pay_within"}},
		{"negative window", string(seed), strings.Replace(lotteryActivity, `"500ms"`, `"-1s"`, 1), []string{"activity[0].opening_lottery"}},
		{"release rate below the quota", string(seed), strings.Replace(lotteryActivity, "release_per_sec = 10", "release_per_sec = 9", 1), []string{"activity[0].item[0].release_per_sec"}},
		{"lottery fields without a lottery", string(seed), strings.Replace(lotteryActivity, `"500ms"`, `"0s"`, 1), []string{"activity[0].lottery_beacon", "activity[0].lottery_seed_file"}},
		{"bound out of range", string(seed), strings.Replace(lotteryActivity, "opening_lottery", "lottery_max_entrants = -1\nopening_lottery", 1), []string{"activity[0].lottery_max_entrants"}},
	}
	for _, tc := range tests {
		write([]byte(tc.seed))
		_, err := Parse([]byte(validAuth+tc.toml), dir, testNow)
		if err == nil {
			t.Fatalf("%s: accepted", tc.name)
		}
		fields := problemFields(t, err)
		for _, f := range tc.want {
			if !fields[f] {
				t.Errorf("%s: no problem for %s in %v", tc.name, f, err)
			}
		}
		if len(fields) != len(tc.want) {
			t.Errorf("%s: problems %v, want only %v", tc.name, fields, tc.want)
		}
	}
}
