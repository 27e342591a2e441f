package replay

import "testing"

func TestActivityDigest(t *testing.T) {
	a := []Head{{SKU: "b", Wins: 2, Hash: [32]byte{2}}, {SKU: "a", Wins: 1, Hash: [32]byte{1}}}
	b := []Head{a[1], a[0]}
	if ActivityDigest(a) != ActivityDigest(b) {
		t.Fatal("digest depends on the order of heads")
	}
	changed := []Head{a[0], {SKU: "a", Wins: 1, Hash: [32]byte{9}}}
	if ActivityDigest(a) == ActivityDigest(changed) {
		t.Fatal("digest ignores a head hash")
	}
	fewer := []Head{{SKU: "b", Wins: 1, Hash: [32]byte{2}}, a[1]}
	if ActivityDigest(a) == ActivityDigest(fewer) {
		t.Fatal("digest ignores a win count")
	}
	if got := ActivityDigest(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("empty digest %s", got)
	}
}

// TestActivityDigestKnownAnswer pins the digest's byte layout with a value
// computed outside Go:
//
//	d="61 00 $(printf '%016x' 1) $(printf '01%.0s' $(seq 32)) 62 00 $(printf '%016x' 2) $(printf '02%.0s' $(seq 32))"
//	echo "$d" | tr -d ' ' | xxd -r -p | sha256sum
func TestActivityDigestKnownAnswer(t *testing.T) {
	var h1, h2 [32]byte
	for i := range h1 {
		h1[i], h2[i] = 0x01, 0x02
	}
	heads := []Head{{SKU: "b", Wins: 2, Hash: h2}, {SKU: "a", Wins: 1, Hash: h1}}
	const want = "99b89a1c1fc37d76c806a2e1e98852334ef9b966b05add5e555c9cec05e33037"
	if got := ActivityDigest(heads); got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
}
