package token

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	testNow    = int64(1610431200) // 2021-01-12T06:00:00Z
)

func TestMintFormat(t *testing.T) {
	// The expected signature was computed independently:
	//   printf '42.1610434800' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef | cut -c1-32
	got := Mint(testSecret, 42, 1610434800)
	want := "42.1610434800." + wantSig42
	if got != want {
		t.Errorf("Mint = %q; want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	valid := Mint(testSecret, 42, testNow+3600)
	sig := valid[strings.LastIndexByte(valid, '.')+1:]
	flipped := []byte(valid)
	if flipped[len(flipped)-1] == '0' {
		flipped[len(flipped)-1] = '1'
	} else {
		flipped[len(flipped)-1] = '0'
	}
	tests := []struct {
		name    string
		tok     string
		maxTTL  time.Duration
		wantUID uint64
		wantErr error
	}{
		{"valid", valid, time.Hour, 42, nil},
		{"valid through its expiry second", Mint(testSecret, 7, testNow), time.Hour, 7, nil},
		{"uid zero", Mint(testSecret, 0, testNow+1), time.Hour, 0, nil},
		{"max uid", Mint(testSecret, math.MaxUint64, testNow+1), time.Hour, math.MaxUint64, nil},
		{"no lifetime bound", Mint(testSecret, 1, math.MaxInt64), 0, 1, nil},
		{"expired", Mint(testSecret, 42, testNow-1), time.Hour, 0, ErrExpired},
		{"expiry beyond max ttl", Mint(testSecret, 42, testNow+3601), time.Hour, 0, ErrTooLong},
		{"expiry at max int64", Mint(testSecret, 42, math.MaxInt64), time.Hour, 0, ErrTooLong},
		{"forged signature", string(flipped), time.Hour, 0, ErrForged},
		{"other secret", Mint([]byte("another secret, also 32 bytes.."), 42, testNow+60), time.Hour, 0, ErrForged},
		{"uid swapped", "43" + valid[2:], time.Hour, 0, ErrForged},
		{"uppercase hex", valid[:len(valid)-sigLen] + strings.ToUpper(sig), time.Hour, 0, ErrMalformed},
		{"signature too short", valid[:len(valid)-1], time.Hour, 0, ErrMalformed},
		{"signature too long", valid + "0", time.Hour, 0, ErrMalformed},
		{"non-hex signature", valid[:len(valid)-1] + "g", time.Hour, 0, ErrMalformed},
		{"uid overflow", "18446744073709551616.1610434800." + sig, time.Hour, 0, ErrMalformed},
		{"expiry overflow", "42.9223372036854775808." + sig, time.Hour, 0, ErrMalformed},
		{"negative expiry", Mint(testSecret, 42, -1), time.Hour, 0, ErrMalformed},
		{"plus uid", "+42.1610434800." + sig, time.Hour, 0, ErrMalformed},
		{"minus uid", "-42.1610434800." + sig, time.Hour, 0, ErrMalformed},
		{"leading zero uid", "042.1610434800." + sig, time.Hour, 0, ErrMalformed},
		{"empty uid", ".1610434800." + sig, time.Hour, 0, ErrMalformed},
		{"empty expiry", "42.." + sig, time.Hour, 0, ErrMalformed},
		{"non-digit uid", "4x.1610434800." + sig, time.Hour, 0, ErrMalformed},
		{"missing expiry", "42." + sig, time.Hour, 0, ErrMalformed},
		{"missing signature", "42.1610434800", time.Hour, 0, ErrMalformed},
		{"missing signature dot", "42.1610434800" + sig, time.Hour, 0, ErrMalformed},
		{"extra dot", "42.16104.34800." + sig, time.Hour, 0, ErrMalformed},
		{"extra trailing part", valid + ".1", time.Hour, 0, ErrMalformed},
		{"empty", "", time.Hour, 0, ErrMalformed},
		{"too long", strings.Repeat("1", 200), time.Hour, 0, ErrMalformed},
		{"surrounding space", " " + valid, time.Hour, 0, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uid, err := NewVerifier(testSecret, tt.maxTTL).Verify([]byte(tt.tok), testNow)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Verify(%q) error = %v; want %v", tt.tok, err, tt.wantErr)
			}
			if uid != tt.wantUID {
				t.Errorf("Verify(%q) uid = %d; want %d", tt.tok, uid, tt.wantUID)
			}
		})
	}
}

func TestVerifierIsReusable(t *testing.T) {
	v := NewVerifier(testSecret, time.Hour)
	for uid := range uint64(100) {
		tok := Mint(testSecret, uid, testNow+int64(uid))
		if got, err := v.Verify([]byte(tok), testNow); err != nil || got != uid {
			t.Fatalf("Verify(%q) = %d, %v", tok, got, err)
		}
		if _, err := v.Verify([]byte(tok[:len(tok)-1]+"x"), testNow); err != ErrMalformed {
			t.Fatalf("bad token after good: %v", err)
		}
	}
}

func TestVerifyDoesNotAllocate(t *testing.T) {
	v := NewVerifier(testSecret, time.Hour)
	valid := []byte(Mint(testSecret, 42, testNow+60))
	tests := []struct {
		name    string
		tok     []byte
		wantErr error
	}{
		{"success", valid, nil},
		{"forged", []byte(Mint([]byte("x"), 42, testNow+60)), ErrForged},
		{"expired", []byte(Mint(testSecret, 42, testNow-60)), ErrExpired},
		{"too long", []byte(Mint(testSecret, 42, testNow+7200)), ErrTooLong},
		{"malformed", []byte("42.x." + strconv.Itoa(0)), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			allocs := testing.AllocsPerRun(1000, func() {
				_, err = v.Verify(tt.tok, testNow)
			})
			if err != tt.wantErr {
				t.Fatalf("error = %v; want %v", err, tt.wantErr)
			}
			if allocs != 0 {
				t.Errorf("Verify allocates %v times per call", allocs)
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	v := NewVerifier(testSecret, 24*time.Hour)
	tok := []byte(Mint(testSecret, 4205100011, testNow+3600))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// wantSig42 is the first 16 bytes, in hex, of HMAC-SHA256 over
// "42.1610434800" with testSecret, computed with openssl.
const wantSig42 = "4cb7c050ac38b2d93765dc93cba5eb73"
