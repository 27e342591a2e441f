package bench

import (
	"fmt"
	"sort"
)

// Check is one invariant checked from the responses.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// CheckSale checks a burst's answers against the sale's promises: each SKU
// has exactly quota winners when its demand covered the stock (never more
// in any case), seqs 1..quota without gaps or repeats, no uid wins a SKU
// twice, tickets are unique, and every win is what /result says. quota 0
// skips the count checks (the caller did not say what the stock was).
// users is how many burst users went to each SKU; verify says /result
// lookups were asked for.
func CheckSale(p *Partial, skus []string, quota int64, users map[string]int64, verify bool) []Check {
	var out []Check
	add := func(name string, ok bool, format string, args ...any) {
		out = append(out, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	bySKU := map[string][]Win{}
	for _, w := range p.Wins {
		bySKU[w.SKU] = append(bySKU[w.SKU], w)
	}
	if quota > 0 {
		bad := []string{}
		for _, sku := range skus {
			n := int64(len(bySKU[sku]))
			want := min(quota, users[sku])
			if n > quota || (p.Unfinished == 0 && n != want) {
				bad = append(bad, fmt.Sprintf("%s: %d winners, want %d", sku, n, want))
			}
		}
		add("winners == quota per sku", len(bad) == 0, "%d skus, quota %d; %s", len(skus), quota, first(bad))
	}
	var seqBad, uidBad []string
	for sku, ws := range bySKU {
		sort.Slice(ws, func(i, j int) bool { return ws[i].Seq < ws[j].Seq })
		uids := map[uint64]bool{}
		for i, w := range ws {
			if quota > 0 && (w.Seq < 1 || int64(w.Seq) > quota) {
				seqBad = append(seqBad, fmt.Sprintf("%s seq %d outside 1..%d", sku, w.Seq, quota))
			}
			if i > 0 && ws[i-1].Seq == w.Seq {
				seqBad = append(seqBad, fmt.Sprintf("%s seq %d told to uids %d and %d", sku, w.Seq, ws[i-1].UID, w.UID))
			}
			if uids[w.UID] {
				uidBad = append(uidBad, fmt.Sprintf("%s uid %d won twice", sku, w.UID))
			}
			uids[w.UID] = true
		}
		if quota > 0 && p.Unfinished == 0 && int64(len(ws)) == quota && len(ws) > 0 && ws[len(ws)-1].Seq != uint64(quota) {
			seqBad = append(seqBad, fmt.Sprintf("%s seqs have gaps", sku))
		}
	}
	add("seq unique within 1..quota", len(seqBad) == 0, "%d wins; %s", len(p.Wins), first(seqBad))
	add("no uid wins a sku twice", len(uidBad) == 0, "%s", first(uidBad))
	tickets := map[string]bool{}
	dupTickets := 0
	for _, w := range p.Wins {
		if tickets[w.Ticket] {
			dupTickets++
		}
		tickets[w.Ticket] = true
	}
	add("tickets unique", dupTickets == 0, "%d duplicates", dupTickets)
	if verify {
		add("every won visible in /result", p.Verified == int64(len(p.Wins)) && p.Mismatched == 0,
			"%d of %d looked up, %d mismatched %v", p.Verified, len(p.Wins), p.Mismatched, p.Mismatches)
	}
	add("every user got a final answer", p.Unfinished == 0, "%d unfinished", p.Unfinished)
	return out
}

func first(s []string) string {
	switch len(s) {
	case 0:
		return "ok"
	case 1:
		return s[0]
	}
	return fmt.Sprintf("%s (and %d more)", s[0], len(s)-1)
}

// UsersPerSKU counts how many of users uids starting at base go to each
// SKU, by the workers' rule uid % len(skus).
func UsersPerSKU(skus []string, base uint64, users int) map[string]int64 {
	out := map[string]int64{}
	for i := range users {
		out[skus[(base+uint64(i))%uint64(len(skus))]]++
	}
	return out
}
