package bench

import (
	"errors"
	"fmt"
	"time"
)

// ErrSpec reports a job description that cannot run.
var ErrSpec = errors.New("bench: invalid spec")

// Mode names what a worker does.
type Mode string

// The modes; see the package documentation.
const (
	Burst     Mode = "burst"
	Sustained Mode = "sustained"
	Fixed     Mode = "fixed"
	Hold      Mode = "hold"
)

// Spec is one worker's job. It travels to worker processes as JSON.
type Spec struct {
	Mode    Mode     `json:"mode"`
	Addr    string   `json:"addr"`              // server host:port
	Sources []string `json:"sources,omitempty"` // local source IPs; empty = the kernel's choice
	// Secret signs tokens (hmac auth); empty sends uid= instead (auth none).
	Secret string   `json:"secret,omitempty"`
	Path   string   `json:"path"` // "/buy" or "/result"
	SKUs   []string `json:"skus"` // user uid goes to SKUs[uid % len]
	// UIDBase is this worker's first uid; its users are UIDBase..UIDBase+Users-1.
	UIDBase uint64 `json:"uid_base"`
	Users   int    `json:"users"`
	Conns   int    `json:"conns"` // connections open at once, at most
	// Rate is sustained mode's attempts per second; Count is fixed mode's
	// number of attempts.
	Rate  float64 `json:"rate,omitempty"`
	Count int64   `json:"count,omitempty"`
	// Duration is how long sustained mode runs; a deadline for burst mode.
	Duration time.Duration `json:"duration"`
	// StartUnixNano is when the burst fires and where every worker's
	// series windows begin.
	StartUnixNano int64         `json:"start_unix_nano"`
	Timeout       time.Duration `json:"timeout"`                // per attempt
	MaxAttempts   int           `json:"max_attempts,omitempty"` // burst: per user
	// RetryScale multiplies the server's retry_ms before a burst user
	// retries a busy answer; real apps wait what they are told (1).
	RetryScale float64       `json:"retry_scale,omitempty"`
	Complete   bool          `json:"complete,omitempty"` // hold: finish the heads on release
	Verify     bool          `json:"verify,omitempty"`   // burst: look every win up with /result
	Window     time.Duration `json:"window"`             // series resolution
	TokenTTL   time.Duration `json:"token_ttl"`
}

// Defaults fills the fields a caller usually leaves alone.
func (s *Spec) Defaults() {
	if s.Path == "" {
		s.Path = "/buy"
	}
	if s.Timeout == 0 {
		s.Timeout = 10 * time.Second
	}
	if s.Window == 0 {
		s.Window = 100 * time.Millisecond
	}
	if s.TokenTTL == 0 {
		s.TokenTTL = time.Hour
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 1000
	}
	if s.RetryScale == 0 {
		s.RetryScale = 1
	}
	if s.Users == 0 {
		s.Users = 1
	}
}

// Validate reports every problem at once.
func (s *Spec) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrSpec}, args...)...))
	}
	if s.Addr == "" {
		bad("addr is empty")
	}
	if s.Conns <= 0 {
		bad("conns %d must be positive", s.Conns)
	}
	if s.Mode != Hold && len(s.SKUs) == 0 {
		bad("no sku")
	}
	switch s.Mode {
	case Burst:
		if s.Duration <= 0 {
			bad("burst needs a duration (its deadline)")
		}
	case Sustained:
		if s.Rate <= 0 || s.Duration <= 0 {
			bad("sustained needs a positive rate and duration")
		}
	case Fixed:
		if s.Count <= 0 {
			bad("fixed needs a positive count")
		}
	case Hold:
		if len(s.SKUs) == 0 {
			bad("hold needs a sku for its heads")
		}
	default:
		bad("mode %q is not burst, sustained, fixed or hold", s.Mode)
	}
	return errors.Join(errs...)
}
