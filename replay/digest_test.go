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
