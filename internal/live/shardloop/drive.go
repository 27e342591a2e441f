package shardloop

// StepQueued runs one batch on the caller's goroutine, exactly as Run would:
// up to batchMax of the tasks already in the inbox are stepped, committed and
// answered before it returns. It reports false when the inbox was empty (or
// closed). It is for a driver that owns the schedule — the deterministic
// simulation (internal/testkit/sim) decides which shard steps when, so that
// one seed always gives the same batches — and is used instead of Run, never
// together with it on one loop.
func (l *Loop) StepQueued() bool {
	if l.fill(); len(l.batch) == 0 {
		return false
	}
	l.step()
	return true
}
