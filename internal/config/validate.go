package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"
)

// Limits that Validate enforces. Each bounds a value to what the process can
// honour or to what is surely a typo beyond it.
const (
	MinReadBuffer      = 256     // below this a request line with a token does not fit
	MaxReadBuffer      = 1 << 16 // above this per-connection memory dominates at 100k connections
	MaxMaxHeadBytes    = 1 << 16 // beyond this a head is an attack, not a browser
	MaxIdleTimeout     = 10 * time.Minute
	MaxBatchMax        = 1 << 16             // a larger batch delays its first reply by its last fsync
	MaxShutdownTimeout = 10 * time.Minute    // longer than an orchestrator usually waits
	MaxRetryAfter      = time.Hour           // a longer wait outlasts most sales
	MaxDrainDelay      = 5 * time.Minute     // no load balancer needs longer to notice; a deploy would stall
	MaxTokenMaxTTL     = 30 * 24 * time.Hour // a token living longer is a credential, not a ticket
	MaxQueue           = 1 << 20             // a deeper inbox only makes buyers wait for "sold out"
	MaxStock           = 100_000_000         // a larger figure is surely a typo
	MaxQuotaPercent    = 1000                // ten qualifications per unit: past any show-up rate a mall plans for
	MaxWaitlist        = 1_000_000           // each place is a durable record and a map entry in the shard
	MaxIDLength        = 64                  // ids appear in URLs and log keys
	MaxPushBatch       = 10_000              // ~4 MiB of JSON: the most memory one push batch takes
	MaxPushTimeout     = 5 * time.Minute     // a mall slower than this is down
	MaxPushMaxAttempts = 1000                // beyond this a record is never given up in practice
	MaxPushBackoff     = time.Hour           // a dead mall is still asked once an hour
	// MinSecretBytes is the shortest HMAC key accepted: 128 bits, so that the
	// key cannot be found by guessing and tokens cannot be forged.
	MinSecretBytes = 16
)

// The enumerated values.
const (
	AuthHMAC = "hmac"
	AuthNone = "none"

	ReservationRequired = "required"
	ReservationOpen     = "open"

	LimitSKU      = "sku"
	LimitActivity = "activity"

	FrontEndNetpoll = "netpoll"
	FrontEndNetHTTP = "nethttp"
	FrontEndFloor   = "floor"
)

// problemList collects problems with printf-style messages.
type problemList struct{ Problems }

func (l *problemList) add(field, format string, args ...any) {
	l.Problems = append(l.Problems, Problem{field, fmt.Sprintf(format, args...)})
}

// Validate checks every rule and returns nil or a Problems error (wrapping
// ErrInvalid) listing every broken one with its field path. It includes what
// Parse could not resolve, such as an unknown key or a malformed time. Call
// EnsureDefaults first: Validate treats an empty field as missing.
func (c *Config) Validate() error {
	var l problemList
	l.Problems = append(l.Problems, c.resolveProblems...)
	c.Server.validate(&l)
	c.Admin.validate(&l, c.Server.AdminListen)
	c.Auth.validate(&l)
	c.Export.validate(&l)
	c.validateActivities(&l)
	return l.Problems.errOrNil()
}

func (s *Server) validate(l *problemList) {
	checkHostPort(l, "server.listen", s.Listen, true)
	checkHostPort(l, "server.admin_listen", s.AdminListen, false)
	if s.DataDir == "" {
		l.add("server.data_dir", "missing")
	}
	if s.ReadBuffer < MinReadBuffer || s.ReadBuffer > MaxReadBuffer {
		l.add("server.read_buffer", "%d is outside [%d, %d] bytes", s.ReadBuffer, MinReadBuffer, MaxReadBuffer)
	}
	if s.MaxHeadBytes < s.ReadBuffer || s.MaxHeadBytes > MaxMaxHeadBytes {
		l.add("server.max_head_bytes", "%d is outside [read_buffer = %d, %d] bytes", s.MaxHeadBytes, s.ReadBuffer, MaxMaxHeadBytes)
	}
	s.validatePublicEdge(l)
	checkDuration(l, "server.idle_timeout", s.IdleTimeout, MaxIdleTimeout)
	if s.MaxConnections < 0 {
		l.add("server.max_connections", "must be >= 0 (0 derives it from the file-descriptor limit)")
	}
	if s.BatchMax < 1 || s.BatchMax > MaxBatchMax {
		l.add("server.batch_max", "%d is outside [1, %d]", s.BatchMax, MaxBatchMax)
	}
	if s.PerAddrPerSec < 0 {
		l.add("server.per_addr_per_sec", "must be >= 0 (0 = no limit)")
	}
	checkDuration(l, "server.shutdown_timeout", s.ShutdownTimeout, MaxShutdownTimeout)
	checkDuration(l, "server.retry_after", s.RetryAfter, MaxRetryAfter)
	if s.DrainDelay < 0 || s.DrainDelay > MaxDrainDelay {
		l.add("server.drain_delay", "%v is outside [0, %v]", s.DrainDelay, MaxDrainDelay)
	}
	switch s.FrontEnd {
	case FrontEndNetpoll, FrontEndNetHTTP, FrontEndFloor:
	default:
		l.add("server.front_end", "%q is not one of %q, %q, %q", s.FrontEnd, FrontEndNetpoll, FrontEndNetHTTP, FrontEndFloor)
	}
}

func (a *Auth) validate(l *problemList) {
	switch a.Mode {
	case AuthHMAC:
		secretField := "auth.secret"
		if a.SecretFile != "" {
			secretField = "auth.secret_file"
		}
		switch {
		case a.Secret != "" && a.SecretFile != "":
			l.add("auth.secret_file", "set secret or secret_file, not both")
		case len(a.SecretBytes) == 0:
			l.add(secretField, "required in hmac mode (set secret or secret_file)")
		case len(a.SecretBytes) < MinSecretBytes:
			l.add(secretField, "is %d bytes; hmac mode needs at least %d random bytes, or tokens can be forged by guessing the key (try `openssl rand -hex 32`)",
				len(a.SecretBytes), MinSecretBytes)
		}
	case AuthNone:
	default:
		l.add("auth.mode", "%q is not %q or %q", a.Mode, AuthHMAC, AuthNone)
	}
	checkDuration(l, "auth.token_max_ttl", a.TokenMaxTTL, MaxTokenMaxTTL)
	if a.CaptchaSecret != "" && len(a.CaptchaSecret) < MinSecretBytes {
		l.add("auth.captcha_secret", "is %d bytes; needs at least %d so passes cannot be forged", len(a.CaptchaSecret), MinSecretBytes)
	}
}

// validate checks the [export] section. That dir lies outside data_dir is
// checked where the exporter is made (export.New), with symbolic links
// resolved, because it depends on the file system.
func (e *Export) validate(l *problemList) {
	if e.Dir == "" {
		l.add("export.dir", "missing")
	}
	secretField := "export.push_secret"
	if e.PushSecretFile != "" {
		secretField = "export.push_secret_file"
	}
	if e.PushSecret != "" && e.PushSecretFile != "" {
		l.add("export.push_secret_file", "set push_secret or push_secret_file, not both")
	}
	if e.PushURL != "" {
		u, err := url.Parse(e.PushURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.add("export.push_url", "%q is not an http(s) URL", e.PushURL)
		}
		switch {
		case len(e.PushSecretBytes) == 0:
			l.add(secretField, "required when push_url is set: it signs each batch (X-Seckill-Signature) so the mall can refuse forged winners")
		case len(e.PushSecretBytes) < MinSecretBytes:
			l.add(secretField, "is %d bytes; needs at least %d random bytes so batch signatures cannot be forged", len(e.PushSecretBytes), MinSecretBytes)
		}
	}
	if e.PushBatch < 1 || e.PushBatch > MaxPushBatch {
		l.add("export.push_batch", "%d is outside [1, %d]", e.PushBatch, MaxPushBatch)
	}
	checkDuration(l, "export.push_timeout", e.PushTimeout, MaxPushTimeout)
	if e.PushMaxAttempts < 1 || e.PushMaxAttempts > MaxPushMaxAttempts {
		l.add("export.push_max_attempts", "%d is outside [1, %d]", e.PushMaxAttempts, MaxPushMaxAttempts)
	}
	checkDuration(l, "export.push_backoff", e.PushBackoff, MaxPushBackoff)
	checkDuration(l, "export.push_backoff_max", e.PushBackoffMax, MaxPushBackoff)
	if e.PushBackoffMax < e.PushBackoff {
		l.add("export.push_backoff_max", "%v is below push_backoff %v", e.PushBackoffMax, e.PushBackoff)
	}
}

func checkHostPort(l *problemList, field, value string, required bool) {
	if value == "" {
		if required {
			l.add(field, "missing")
		}
		return
	}
	_, port, err := net.SplitHostPort(value)
	if err != nil {
		l.add(field, "%q is not host:port", value)
		return
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > 65535 {
		l.add(field, "%q has no numeric port in [0, 65535]", value)
	}
}

// checkDuration requires a positive duration no longer than maximum. A value
// written as a bare TOML integer is nanoseconds, so a tiny duration is
// reported as a likely missing unit.
func checkDuration(l *problemList, field string, d, maximum time.Duration) {
	switch {
	case d <= 0:
		l.add(field, "must be > 0")
	case d < time.Millisecond:
		l.add(field, "%v is under a millisecond; write a unit, e.g. \"5s\"", d)
	case d > maximum:
		l.add(field, "%v exceeds %v", d, maximum)
	}
}
