package push

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRedirectNotFollowed points the pusher at a mall that answers every
// POST with 302 to a second mall: the pusher must not follow (the signed
// winners go to the configured URL or nowhere), so the second mall gets
// nothing and the records end failed, not delivered.
func TestRedirectNotFollowed(t *testing.T) {
	l := openStore(t, t.TempDir())
	fill(t, l, "a", 12, "s1")
	elsewhere, other := newMall(t, 0, 0, 0)
	m, srv := newMall(t, 0, 0, 0)
	m.redirectTo = other.URL
	opts := testOptions(srv.URL)
	opts.MaxAttempts = 2
	rep, err := newPusher(t, l, opts).Drain(context.Background())
	if err != nil || rep.Delivered != 0 || rep.GaveUp != 12 {
		t.Fatalf("drain against a redirecting mall: %+v, %v; want 0 delivered, 12 given up", rep, err)
	}
	m.mu.Lock()
	redirected := m.redirected
	m.mu.Unlock()
	if c := elsewhere.snapshot(); len(c.received) != 0 || redirected != 2 {
		t.Fatalf("the redirect target received %d wins; the mall answered %d redirects, want 2", len(c.received), redirected)
	}
	if st, _ := ReadStatus(l); st.Failed != 12 || st.Delivered != 0 {
		t.Fatalf("status after redirects: %+v", st)
	}
}

// TestWrongSecretRefused checks the test mall's verification itself: a
// pusher signing with another secret delivers nothing.
func TestWrongSecretRefused(t *testing.T) {
	l := openStore(t, t.TempDir())
	fill(t, l, "a", 5, "s1")
	m, srv := newMall(t, 0, 0, 0)
	opts := testOptions(srv.URL)
	opts.Secret, opts.MaxAttempts = []byte("another-secret-of-16+bytes"), 1
	rep, err := newPusher(t, l, opts).Drain(context.Background())
	if err != nil || rep.Delivered != 0 || rep.GaveUp != 5 {
		t.Fatalf("drain with a wrong secret: %+v, %v", rep, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.badSigs != 1 || len(m.booked) != 0 {
		t.Fatalf("%d bad signatures, %d booked; want 1 and 0", m.badSigs, len(m.booked))
	}
}

// testCA makes a self-signed CA and a server certificate for 127.0.0.1
// signed by it; it returns the CA's PEM and the server's TLS certificate.
func testCA(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "seckill test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "mall"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
}

// TestHTTPSWithCAFile pushes to an https mall whose certificate a private
// CA signed: with the CA file the batches go through; without it (system
// roots) the handshake fails and nothing is delivered.
func TestHTTPSWithCAFile(t *testing.T) {
	caPEM, cert := testCA(t)
	m := newMallHandler(0, 0, 0)
	srv := httptest.NewUnstartedServer(m)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	l := openStore(t, t.TempDir())
	fill(t, l, "a", 9, "s1", "s2")
	opts := testOptions(srv.URL)
	opts.MaxAttempts, opts.Timeout = 1, 10*time.Second // handshakes under -race on a busy machine
	untrusting := newPusher(t, l, opts)
	rep, err := untrusting.Drain(context.Background())
	if err != nil || rep.Delivered != 0 || rep.GaveUp != 18 {
		t.Fatalf("https without the CA: %+v, %v; want every record refused", rep, err)
	}
	if last := untrusting.Counters().LastError.Load(); last == nil || !strings.Contains(*last, "certificate") {
		t.Fatalf("https without the CA failed with %q, want a certificate error", func() string {
			if last == nil {
				return ""
			}
			return *last
		}())
	}
	opts.CAFile = caFile
	p := newPusher(t, l, opts)
	if _, err := p.Requeue(ScopeFailed); err != nil {
		t.Fatal(err)
	}
	if rep, err := p.Drain(context.Background()); err != nil || rep.Delivered != 18 {
		t.Fatalf("https with the CA file: %+v, %v", rep, err)
	}
	checkDelivered(t, m, l)

	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	opts.CAFile = bad
	if _, err := New(l, opts); !errors.Is(err, ErrOptions) {
		t.Fatalf("a CA file without a certificate: %v, want ErrOptions", err)
	}
}
