package engine

import (
	"encoding/hex"
	"net/netip"
	"testing"
)

// The known answers below were computed once outside Go, from the byte
// layout the package doc and AppendCanonical describe, and are written here
// as literals: a change to the win encoding, the chain hash or the ticket
// MAC fails these tests whatever the code computes.

// vectorWin is the win both vectors describe.
func vectorWin() Win {
	w := Win{
		Activity:     "redmi9-0112",
		SKU:          "4205100011",
		Seq:          3,
		UID:          42,
		TimeUnixNano: 1610431200123456789,
		Client:       netip.MustParseAddr("203.0.113.7"),
	}
	for i := range w.Ticket {
		w.Ticket[i] = byte(i)
	}
	for i := range w.Prev {
		w.Prev[i] = 0xaa
	}
	return w
}

// TestWinHashKnownAnswer pins the canonical encoding and the chain hash.
// The body, built with the shell:
//
//	body=0157$(printf '%016x' 3)$(printf '%016x' 42)$(printf '%016x' 1610431200123456789)
//	body+="00000000000000000000ffffcb007107 000102030405060708090a0b0c0d0e0f $(printf 'aa%.0s' $(seq 32))"
//	body+=0b$(printf redmi9-0112 | xxd -p)0a$(printf 4205100011 | xxd -p)
//	echo "$body" | tr -d ' ' | xxd -r -p | sha256sum
func TestWinHashKnownAnswer(t *testing.T) {
	const wantBody = "0157" + "0000000000000003" + "000000000000002a" + "165966a4e2908d15" +
		"00000000000000000000ffffcb007107" + "000102030405060708090a0b0c0d0e0f" +
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
		"0b" + "7265646d69392d30313132" + "0a" + "34323035313030303131"
	const wantHash = "59d444133629bfa8f3bb71090dab5cede32dd30bc948aab24e4cb0f0bfa2692b"
	w := vectorWin()
	if got := hex.EncodeToString(AppendCanonical(nil, &w)); got != wantBody {
		t.Fatalf("canonical body\n got %s\nwant %s", got, wantBody)
	}
	h := ComputeHash(&w)
	if got := hex.EncodeToString(h[:]); got != wantHash {
		t.Fatalf("chain hash %s, want %s", got, wantHash)
	}
}

// TestTicketKnownAnswer pins the ticket: the first 16 bytes of
// HMAC-SHA256(key, activity 0 sku 0 seq uid), computed with
//
//	msg="$(printf redmi9-0112 | xxd -p)00$(printf 4205100011 | xxd -p)00$(printf '%016x' 3)$(printf '%016x' 42)"
//	echo "$msg" | xxd -r -p | openssl dgst -sha256 -mac HMAC -macopt key:ticket-key-0123456789
//
// (and the same with python3's hmac module), cut to 32 hex digits.
func TestTicketKnownAnswer(t *testing.T) {
	const want = "1be8f317db2e0ce976f0ac0d99c06fd6"
	s := NewTicketSigner([]byte("ticket-key-0123456789"))
	tk := s.Sign("redmi9-0112", "4205100011", 3, 42)
	if got := hex.EncodeToString(tk[:]); got != want {
		t.Fatalf("ticket %s, want %s", got, want)
	}
	w := vectorWin()
	w.Ticket = tk
	if !s.Verify(&w) {
		t.Fatal("Verify refuses the known-answer ticket")
	}
}
