package replay

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// CheckStores names the check a combined report adds: every activity's
// records are in one store.
const CheckStores = "stores"

// Combine merges the reports of several stores that together hold one
// sale — the nodes of a cluster, each selling its own activities (package
// cluster) — into one report: one table, every check over all stores, one
// digest per activity. Audit each store without Options.Published and give
// the published digests here, because a store cannot tell a digest of
// another node's activity from one of an activity that is missing.
//
// It adds the check "stores": an activity whose records are in more than
// one store was sold by two nodes at once, so no node could hold its
// purchase limit (limit = "activity") or its quota, and its chain heads
// and digest no longer describe one sale. Rows, findings, digests and
// notes are ordered by activity (and SKU), so the report does not depend
// on the order of the stores.
func Combine(reports []*Report, published map[string]string, maxListed int) *Report {
	if maxListed <= 0 {
		maxListed = DefaultMaxListed
	}
	out := &Report{OK: true, SKUs: []SKURow{}, TruncatedTails: []Truncation{}, Digests: []Digest{}, Configs: []ConfigNote{}, Changes: []Change{}}
	storeOf := map[string]int{} // activity -> first store holding it
	stores := Check{Name: CheckStores, Title: "every activity's records are in one store (one node sells it)", Pass: true, Records: []Offense{}}
	for i, r := range reports {
		out.OK = out.OK && r.OK
		out.Records += r.Records
		out.ControlRecords += r.ControlRecords
		out.SKUs = append(out.SKUs, r.SKUs...)
		out.TruncatedTails = append(out.TruncatedTails, r.TruncatedTails...)
		out.Configs = append(out.Configs, r.Configs...)
		out.Changes = append(out.Changes, r.Changes...)
		for _, d := range r.Digests {
			if first, seen := storeOf[d.Activity]; seen {
				stores.Offending++
				stores.Records = append(stores.Records, Offense{Activity: d.Activity, Reason: fmt.Sprintf("its records are in store %d and in store %d (counting from 1)", first+1, i+1)})
				continue
			}
			storeOf[d.Activity] = i
			out.Digests = append(out.Digests, d)
		}
		for j, c := range r.Checks {
			if i == 0 {
				out.Checks = append(out.Checks, Check{Name: c.Name, Title: c.Title, Pass: true, Records: []Offense{}})
			}
			if j >= len(out.Checks) || out.Checks[j].Name != c.Name {
				panic(fmt.Sprintf("replay: Combine: store %d's check %d is %q, not %q", i, j, c.Name, out.Checks[j].Name))
			}
			mc := &out.Checks[j]
			mc.Pass = mc.Pass && c.Pass
			mc.Offending += c.Offending
			mc.Records = append(mc.Records, c.Records...)
		}
	}
	digestCheck := slices.IndexFunc(out.Checks, func(c Check) bool { return c.Name == checkInfo[CheckDigest].name })
	for i := range out.Digests {
		d := &out.Digests[i]
		d.Published = published[d.Activity]
		if d.Published != "" && d.Published != d.Digest && digestCheck >= 0 {
			addOffense(&out.Checks[digestCheck], publishedMismatch(d))
		}
	}
	for _, act := range sortedKeys(published) {
		if _, ok := storeOf[act]; !ok && digestCheck >= 0 {
			addOffense(&out.Checks[digestCheck], publishedMissing(act))
		}
	}
	stores.Pass = stores.Offending == 0
	out.Checks = append(out.Checks, stores)
	for i := range out.Checks {
		c := &out.Checks[i]
		out.OK = out.OK && c.Pass
		slices.SortStableFunc(c.Records, func(a, b Offense) int { return cmp.Compare(a.Activity, b.Activity) })
		c.Records = c.Records[:min(len(c.Records), maxListed)]
	}
	byActivity := func(a, b string) int { return strings.Compare(a, b) }
	slices.SortStableFunc(out.SKUs, func(a, b SKURow) int { return cmp.Or(byActivity(a.Activity, b.Activity), byActivity(a.SKU, b.SKU)) })
	slices.SortStableFunc(out.TruncatedTails, func(a, b Truncation) int {
		return cmp.Or(byActivity(a.Activity, b.Activity), byActivity(a.SKU, b.SKU))
	})
	slices.SortStableFunc(out.Configs, func(a, b ConfigNote) int { return byActivity(a.Activity, b.Activity) })
	slices.SortStableFunc(out.Changes, func(a, b Change) int {
		return cmp.Or(byActivity(a.Activity, b.Activity), byActivity(a.SKU, b.SKU))
	})
	slices.SortStableFunc(out.Digests, func(a, b Digest) int { return byActivity(a.Activity, b.Activity) })
	return out
}

func addOffense(c *Check, o Offense) {
	c.Pass = false
	c.Offending++
	c.Records = append(c.Records, o)
}

// publishedMismatch is the digest check's finding for a published digest
// that is not the log's.
func publishedMismatch(d *Digest) Offense {
	return Offense{Activity: d.Activity, Reason: fmt.Sprintf("the published digest %s is not the log's %s", d.Published, d.Digest)}
}

// publishedMissing is the digest check's finding for a digest published
// for an activity the log has nothing of.
func publishedMissing(activity string) Offense {
	return Offense{Activity: activity, Reason: "a digest was published for this activity, but the log has nothing of it"}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
