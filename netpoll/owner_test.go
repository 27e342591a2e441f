package netpoll

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// reusePortListen listens on addr with SO_REUSEPORT, as gnet's loops do.
func reusePortListen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) })
		return errors.Join(err, serr)
	}}
	return lc.Listen(context.Background(), "tcp", addr)
}

// TestMain doubles as the other process of TestAddressOfAnotherProcess:
// with OWNER_TEST_LISTEN set it listens there with SO_REUSEPORT, says so,
// and waits to be killed.
func TestMain(m *testing.M) {
	if addr := os.Getenv("OWNER_TEST_LISTEN"); addr != "" {
		ln, err := reusePortListen(addr)
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		defer ln.Close()
		os.Stdout.WriteString("ready\n")
		select {}
	}
	os.Exit(m.Run())
}

func TestAddressOfAnotherProcess(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()

	if err := claimAddress("tcp://" + addr); err != nil {
		t.Fatalf("free address: %v", err)
	}
	// Our own SO_REUSEPORT sockets are not another process's.
	ours, err := reusePortListen(addr)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sharedWith("tcp://" + addr); err != nil || n != 0 {
		t.Fatalf("only our socket: %d foreign, %v", n, err)
	}

	other := exec.Command(os.Args[0], "-test.run=^$")
	other.Env = append(os.Environ(), "OWNER_TEST_LISTEN="+addr)
	out, err := other.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		other.Process.Kill()
		other.Wait()
	}()
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("other process: %q", line)
	}
	// The other process joined our SO_REUSEPORT group, as a second engine
	// starting at the same instant would: the check after binding sees it.
	if n, err := sharedWith("tcp://" + addr); err != nil || n != 1 {
		t.Fatalf("after another process joined: %d foreign, %v", n, err)
	}
	ours.Close()
	// And the check before binding refuses an address someone holds.
	if err := claimAddress("tcp://" + addr); !errors.Is(err, ErrAddressTaken) {
		t.Fatalf("taken address: %v", err)
	}
}

func TestParseProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000:0050":                         "0.0.0.0:80",
		"00000000000000000000000000000000:1F90": "[::]:8080",
		"0000000000000000FFFF00000100007F:0050": "127.0.0.1:80",
		"B80D0120000000000000000001000000:01BB": "[2001:db8::1]:443",
	} {
		got, ok := parseProcAddr(in)
		if !ok || got != netip.MustParseAddrPort(want) {
			t.Errorf("%s: %v %v, want %s", in, got, ok, want)
		}
	}
}
