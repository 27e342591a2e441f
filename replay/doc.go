// Package replay drives the engine core over the durable log. Recovery at
// start uses Rebuild to give every shard back the state the live sale had —
// sold counts, seq, who won, the hash chain — by Applying each stored win in
// order, the same core code the live sale ran; the audit (seckill replay)
// uses the same path and reports what it finds.
package replay
