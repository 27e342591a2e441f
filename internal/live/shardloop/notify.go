package shardloop

// OnDurable makes the loop signal ch after every commit that made wins
// durable (the live push to the mall waits on it). The send never blocks:
// with ch of capacity 1 a pending signal already says "there is news", so
// a slow or stopped receiver costs the shard one failed select and nothing
// more. Call it before Run.
func (l *Loop) OnDurable(ch chan<- struct{}) { l.durableSignal = ch }

func (l *Loop) signalDurable() {
	if l.durableSignal == nil {
		return
	}
	select {
	case l.durableSignal <- struct{}{}:
	default:
	}
}
