package uidset

import (
	"crypto/sha256"
	"encoding/binary"
)

// Digest is the SHA-256 of the sorted uids, each as 8 bytes big-endian, so the
// audit log can record exactly which reservation list was in force. Two sets
// with the same uids have the same digest however their files were written.
// It is computed once, on first use.
func (s *Set) Digest() [32]byte {
	s.digestOnce.Do(func() {
		h := sha256.New()
		var chunk [8 * 4096]byte
		for rest := s.uids; len(rest) > 0; {
			n := min(len(rest), len(chunk)/8)
			for i, uid := range rest[:n] {
				binary.BigEndian.PutUint64(chunk[i*8:], uid)
			}
			h.Write(chunk[:n*8])
			rest = rest[n:]
		}
		h.Sum(s.digest[:0])
	})
	return s.digest
}
