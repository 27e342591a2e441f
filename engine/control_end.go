package engine

// EndNow returns a ControlEndNow: the round ends at the record's place in
// the shard's sequence, whatever the configured end time. The caller fills
// Source and hands it to Control on every shard of the activity.
func EndNow() Control { return Control{Kind: ControlEndNow} }

// Ended reports whether a ControlEndNow record ended the round; from that
// record on, every buy answers ended.
func (s *Shard) Ended() bool { return s.ended }
