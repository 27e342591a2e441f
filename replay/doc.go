// Package replay drives the engine core over the durable log. Recovery at
// start uses Rebuild to give every shard back the state the live sale had —
// sold counts, seq, who won, the hash chains, and what the control records
// put in force (pause, reservation list) — by Applying each stored win and
// control record in the order the shard decided them, the same core code
// the live sale ran; the audit (seckill replay) uses the same path and
// reports what it finds. It reads the store and nothing else: no
// configuration (the assembly and the command build what it needs).
package replay
