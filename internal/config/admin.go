package config

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
)

// AdminTokenName is the file, inside data_dir, where the engine writes the
// admin token it generates when [admin] sets none.
const AdminTokenName = "admin.token"

// MaxAdminHosts bounds [admin] hosts: each is compared on every admin
// request, and a real deployment names a handful.
const MaxAdminHosts = 64

// AdminTokenPath is the file a command that talks to the running engine
// reads the admin token from: [admin] token_file when set, otherwise the
// token the engine generated in data_dir. An inline [admin] token has no
// file; callers use Admin.TokenBytes first.
func (c *Config) AdminTokenPath() string {
	if c.Admin.TokenFile != "" {
		return c.Admin.TokenFile
	}
	return filepath.Join(c.Server.DataDir, AdminTokenName)
}

// IsLoopback reports whether the host of hostPort is a loopback address or
// "localhost": only this machine can reach a listener there. An empty host
// (":8081") listens on every interface, so it is not.
func IsLoopback(hostPort string) bool {
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

func (a *Admin) validate(l *problemList, adminListen string) {
	tokenField := "admin.token"
	if a.TokenFile != "" {
		tokenField = "admin.token_file"
	}
	switch {
	case a.Token != "" && a.TokenFile != "":
		l.add("admin.token_file", "set token or token_file, not both")
	case len(a.TokenBytes) == 0 && a.TokenFile != "":
		l.add(tokenField, "is empty")
	case len(a.TokenBytes) == 0:
		// A malformed admin_listen is reported on its own field.
		if _, _, err := net.SplitHostPort(adminListen); err == nil && !IsLoopback(adminListen) {
			l.add(tokenField, "required when server.admin_listen (%q) is not a loopback address: set token or token_file (try `openssl rand -hex 32`)", adminListen)
		}
	case len(a.TokenBytes) < MinSecretBytes:
		l.add(tokenField, "is %d bytes; the admin token needs at least %d random bytes so it cannot be guessed (try `openssl rand -hex 32`)", len(a.TokenBytes), MinSecretBytes)
	}
	if len(a.Hosts) > MaxAdminHosts {
		l.add("admin.hosts", "%d names; at most %d", len(a.Hosts), MaxAdminHosts)
	}
	for i, h := range a.Hosts {
		if h == "" || strings.ContainsAny(h, "/ \t@") {
			l.add(fmt.Sprintf("admin.hosts[%d]", i), "%q is not a host name (write a bare name such as \"seckill-admin.internal\", optionally with :port)", h)
		}
	}
}
