package config

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StartNow is the activity start that means "when the process starts", used
// by the demo so that it is always on sale.
const StartNow = "now"

// resolve derives the typed fields from their text forms and makes relative
// paths absolute against baseDir. It records what it cannot resolve in
// resolveProblems instead of stopping, so Validate can report everything.
func (c *Config) resolve(baseDir string, now time.Time) {
	add := func(field, format string, args ...any) {
		c.resolveProblems = append(c.resolveProblems, Problem{field, fmt.Sprintf(format, args...)})
	}

	// readKey reads a key file named relative to the config file.
	readKey := func(field string, path *string) []byte {
		*path = resolvePath(baseDir, *path)
		b, err := os.ReadFile(*path)
		if err != nil {
			add(field, "cannot read: %v", err)
			return nil
		}
		// Editors and `echo` end files with a newline that is not part of
		// the key.
		return bytes.TrimRight(b, "\r\n")
	}
	if c.Auth.SecretFile != "" {
		c.Auth.SecretBytes = readKey("auth.secret_file", &c.Auth.SecretFile)
	}
	if c.Admin.TokenFile != "" {
		c.Admin.TokenBytes = readKey("admin.token_file", &c.Admin.TokenFile)
	}
	if e := &c.Export; e.PushSecretFile != "" {
		e.PushSecretBytes = readKey("export.push_secret_file", &e.PushSecretFile)
	}
	if c.Export.PushCAFile != "" {
		c.Export.PushCAFile = resolvePath(baseDir, c.Export.PushCAFile)
		if _, err := os.Stat(c.Export.PushCAFile); err != nil {
			add("export.push_ca_file", "cannot read: %v", err)
		}
	}

	for i, text := range c.Blocklist.Addrs {
		addr, err := netip.ParseAddr(strings.TrimSpace(text))
		if err != nil {
			add(fmt.Sprintf("blocklist.addrs[%d]", i), "%q is not an IP address", text)
			continue
		}
		c.Blocklist.ParsedAddrs = append(c.Blocklist.ParsedAddrs, addr.Unmap())
	}

	for i, text := range c.Server.TrustedProxies {
		prefix, err := parsePrefix(strings.TrimSpace(text))
		if err != nil {
			add(fmt.Sprintf("server.trusted_proxies[%d]", i), "%q is not a CIDR or an IP address", text)
			continue
		}
		c.Server.ParsedTrustedProxies = append(c.Server.ParsedTrustedProxies, prefix)
	}

	for i := range c.Activities {
		a := &c.Activities[i]
		field := fmt.Sprintf("activity[%d]", i)
		if a.ReservationsFile != "" {
			a.ReservationsFile = resolvePath(baseDir, a.ReservationsFile)
			if _, err := os.Stat(a.ReservationsFile); err != nil {
				add(field+".reservations_file", "cannot read: %v", err)
			}
		}
		if a.LotterySeedFile != "" {
			a.LotterySeedFile = resolvePath(baseDir, a.LotterySeedFile)
			if msg := a.readLotterySeed(); msg != "" {
				add(field+".lottery_seed_file", "%s", msg)
			}
		}
		for _, p := range a.resolveTimes(now) {
			add(field+"."+p.Field, "%s", p.Message)
		}
	}
}

// resolveTimes sets StartTime and EndTime from Start and End, returning the
// problems with their field names relative to the activity. It leaves a
// missing Start alone, because Validate reports missing fields.
func (a *Activity) resolveTimes(now time.Time) Problems {
	var problems Problems
	switch a.Start {
	case "":
	case StartNow:
		a.StartTime = now
	default:
		start, err := time.Parse(time.RFC3339, a.Start)
		if err != nil {
			problems = append(problems, Problem{"start", fmt.Sprintf("%q is neither RFC 3339 (2021-01-12T12:00:00+05:30) nor %q", a.Start, StartNow)})
		} else {
			a.StartTime = start
		}
	}

	switch {
	case a.End == "":
	case strings.HasPrefix(a.End, "+"):
		length, err := time.ParseDuration(a.End[1:])
		if err != nil {
			problems = append(problems, Problem{"end", fmt.Sprintf("%q is not +DURATION such as \"+2h\"", a.End)})
		} else if !a.StartTime.IsZero() {
			a.EndTime = a.StartTime.Add(length)
		}
	default:
		end, err := time.Parse(time.RFC3339, a.End)
		if err != nil {
			problems = append(problems, Problem{"end", fmt.Sprintf("%q is neither RFC 3339 nor +DURATION such as \"+2h\"", a.End)})
		} else {
			a.EndTime = end
		}
	}
	return problems
}

func resolvePath(baseDir, path string) string {
	if filepath.IsAbs(path) || baseDir == "" {
		return path
	}
	return filepath.Join(baseDir, path)
}
