package uidset

// Sorted returns the set's uids in ascending order. The slice is the set's
// own storage, shared to spare a copy of millions of uids when the audit log
// stores the set: the caller must not modify it.
func (s *Set) Sorted() []uint64 { return s.uids }
