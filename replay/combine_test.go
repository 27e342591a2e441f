package replay

import (
	"strings"
	"testing"

	"seckill/internal/testkit/loggen"
)

// TestCombine audits stores of one sale apart and combines them: a sale
// split by activity over stores passes with every record counted and one
// digest per activity, whatever the order of the stores; an activity in
// two stores, and published digests that do not match, fail.
func TestCombine(t *testing.T) {
	storeA := audit(t, generate(t, loggen.Options{Activity: "a", Wins: 30, SKUs: 2, Seed: 1}), Options{})
	storeB := audit(t, generate(t, loggen.Options{Activity: "b", Wins: 20, SKUs: 3, Seed: 2}), Options{})
	again := audit(t, generate(t, loggen.Options{Activity: "a", Wins: 5, SKUs: 1, Seed: 3}), Options{})

	ab := Combine([]*Report{storeA, storeB}, nil, 0)
	ba := Combine([]*Report{storeB, storeA}, nil, 0)
	if !ab.OK || ab.Records != 50 || len(ab.SKUs) != 5 || len(ab.Digests) != 2 || ab.Digests[0].Activity != "a" {
		t.Fatalf("two stores of one sale: %+v", ab)
	}
	if last := ab.Checks[len(ab.Checks)-1]; last.Name != CheckStores || !last.Pass {
		t.Errorf("the last check is %+v, want a passing %q", last, CheckStores)
	}
	if got, want := fmtReport(ab), fmtReport(ba); got != want {
		t.Errorf("the report depends on the order of the stores:\n%s\n%s", got, want)
	}

	split := Combine([]*Report{storeA, storeB, again}, nil, 0)
	if got := reasons(split, CheckStores); split.OK || got != "a: its records are in store 1 and in store 3 (counting from 1)" {
		t.Errorf("activity a in two stores: ok %v, findings %q", split.OK, got)
	}

	published := map[string]string{"a": ab.Digests[0].Digest, "b": strings.Repeat("0", 64), "c": strings.Repeat("1", 64)}
	pub := Combine([]*Report{storeA, storeB}, published, 0)
	f := reasons(pub, "digest")
	if pub.OK || !strings.HasPrefix(f, "b: the published digest 0000") || !strings.HasSuffix(f, "; c: a digest was published for this activity, but the log has nothing of it") || strings.Count(f, ";") != 1 {
		t.Errorf("published digests: ok %v, findings %s", pub.OK, f)
	}
	if pub.Digests[0].Published != ab.Digests[0].Digest {
		t.Errorf("activity a's published digest not shown: %+v", pub.Digests[0])
	}
}

func fmtReport(r *Report) string {
	var b strings.Builder
	for _, s := range r.SKUs {
		b.WriteString(s.Activity + "/" + s.SKU + " ")
	}
	for _, d := range r.Digests {
		b.WriteString(d.Activity + "=" + d.Digest + " ")
	}
	return b.String() + fmtFindings(findings(r))
}

// reasons joins the listed findings of one check.
func reasons(r *Report, check string) string {
	var out []string
	for _, c := range r.Checks {
		if c.Name == check {
			for _, o := range c.Records {
				out = append(out, o.String())
			}
		}
	}
	return strings.Join(out, "; ")
}
