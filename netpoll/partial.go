package netpoll

import "sync"

// A request head that arrives in pieces must be kept between reads. Left
// in gnet, it would sit in the connection's inbound ring buffer, whose
// first allocation is 1 KiB whatever the size of the piece; at the start of
// a sale, when every phone has sent most of its head and waits, that ring
// is most of the memory a connection costs. So the front end takes the
// bytes out of gnet: the head's Stream keeps only what the engine reads (the
// compact head: request line, Host, Origin, sk, about 200 bytes for a
// browser), in a buffer of the smallest of a few pooled sizes that holds it.

// partialClasses are the pooled sizes of kept partial heads; a typical
// phone's compact head fits the first. The last holds the largest compact
// head at the default read buffer (httpmin's maxLine + KeptHeaderBytes).
var partialClasses = [...]int{256, 512, 1024, 2048}

var partialPools [len(partialClasses)]sync.Pool

func init() {
	for i, size := range partialClasses {
		partialPools[i].New = func() any {
			b := make([]byte, 0, size)
			return &b
		}
	}
}

// getPartial returns an empty buffer of the smallest class that holds n
// bytes.
func getPartial(n int) *[]byte {
	for i, size := range partialClasses {
		if n <= size {
			return partialPools[i].Get().(*[]byte)
		}
	}
	b := make([]byte, 0, n) // only with a read buffer above the default
	return &b
}

// keepPartial stores b as the connection's bytes so far, in a buffer of a
// fitting class, and releases the one it had.
func (x *connCtx) keepPartial(b []byte) {
	next := getPartial(len(b))
	*next = append((*next)[:0], b...)
	x.dropPartial()
	x.partial = next
	x.srv.partialHeads.Add(1)
}

// fitHead moves the compact head to a buffer of the smallest class that
// holds need bytes (Stream.Room before a read; its length after one, so a
// waiting connection keeps no more than it must).
func (x *connCtx) fitHead(need int) {
	if x.partial != nil && cap(*x.partial) >= need && (need > cap(*x.partial)/2 || cap(*x.partial) == partialClasses[0]) {
		return
	}
	next := getPartial(need)
	*next = append((*next)[:0], x.head.Kept()...)
	x.dropPartial()
	x.partial = next
	x.srv.partialHeads.Add(1)
	x.head.Regrow(*next)
}

// dropPartial returns the kept bytes' buffer to its pool.
func (x *connCtx) dropPartial() {
	if x.partial == nil {
		return
	}
	b := x.partial
	x.partial = nil
	x.srv.partialHeads.Add(-1)
	for i, size := range partialClasses {
		if cap(*b) == size {
			*b = (*b)[:0]
			partialPools[i].Put(b)
			return
		}
	}
}

// joinBufferBytes holds a kept partial head (less than the read limit) plus
// one read (at most the read limit) for any read limit up to 1 KiB; a larger
// limit grows the buffer once.
const joinBufferBytes = 2048

var joinPool = sync.Pool{New: func() any {
	b := make([]byte, 0, joinBufferBytes)
	return &b
}}
