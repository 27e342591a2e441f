package engine

// SetBlocklist returns a ControlBlocklist that puts b in force. The
// blocklist is global: the caller hands it to Control on every shard, one
// record each, so that each shard refuses the listed buyers from its own
// place in sequence on and the audit can tell, win by win, which list was
// in force.
func SetBlocklist(b *Blocklist) Control {
	return Control{Kind: ControlBlocklist, Digest: b.Digest(), Num: uint64(b.Len()), Blocklist: b}
}

// Blocklist returns the list a ControlBlocklist record put in force (nil
// when none) and its digest.
func (s *Shard) Blocklist() (*Blocklist, [32]byte) { return s.blocked, s.blockDigest }

// blocklistFits reports whether c comes with the list its digest names.
func blocklistFits(c *Control) bool {
	return c.Blocklist != nil && c.Blocklist.Digest() == c.Digest && uint64(c.Blocklist.Len()) == c.Num
}
