// Package testnet holds what tests that start real servers on loopback
// share.
package testnet

import (
	"net"
	"testing"
)

// FreeAddr returns a loopback host:port that was free a moment ago. The
// server under test binds it afterwards; on a machine running nothing else
// that binds ephemeral ports, the race is harmless.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
