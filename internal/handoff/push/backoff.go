package push

import (
	"math/rand/v2"
	"time"
)

// backoff is how long to wait before the next POST of records that failed
// attempts times: "full jitter", a uniform draw from [0, min(max,
// base*2^(attempts-1))). Drawing from the whole interval spreads the
// retries of many senders (and of one sender's restarts) over time instead
// of bunching them at the exponential steps, and the ceiling grows
// exponentially so a dead mall is asked ever less often.
func backoff(attempts uint32, base, maxWait time.Duration) time.Duration {
	if attempts == 0 {
		return 0
	}
	ceiling := maxWait
	if shift := attempts - 1; shift < 40 && base<<shift < maxWait && base<<shift > 0 {
		ceiling = base << shift
	}
	return rand.N(ceiling) + 1
}
