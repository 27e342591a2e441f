package meter

import (
	"sync/atomic"

	"seckill/engine"
)

// maxResults bounds engine.Result's values; engine has fewer (its String
// says "invalid" beyond them).
const maxResults = 32

// Results counts attempts by result.
type Results struct {
	n [maxResults]atomic.Uint64
}

// Add counts one attempt that got res.
func (r *Results) Add(res engine.Result) { r.n[res%maxResults].Add(1) }

// Load returns how many attempts got res.
func (r *Results) Load(res engine.Result) uint64 { return r.n[res%maxResults].Load() }

// AllResults lists every result engine defines, in value order.
var AllResults = func() []engine.Result {
	var out []engine.Result
	for i := range maxResults {
		if engine.Result(i).String() != "invalid" {
			out = append(out, engine.Result(i))
		}
	}
	return out
}()
