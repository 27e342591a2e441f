package netpoll

import "sync"

// A request head that arrives in pieces must be kept between reads. Left
// in gnet, it would sit in the connection's inbound ring buffer, whose
// first allocation is 1 KiB whatever the size of the piece; at the start of
// a sale, when every phone has sent most of its head and waits, that ring
// is most of the memory a connection costs. So the front end takes the
// bytes out of gnet and keeps them in a buffer of the smallest of a few
// pooled sizes that holds them.

// partialClasses are the pooled sizes of kept partial heads; a typical
// phone's head fits the first or second.
var partialClasses = [...]int{256, 512, 1024}

var partialPools [len(partialClasses)]sync.Pool

func init() {
	for i, size := range partialClasses {
		partialPools[i].New = func() any {
			b := make([]byte, 0, size)
			return &b
		}
	}
}

// keepPartial stores head as the connection's bytes so far, in a buffer of
// a fitting class, and releases the one it had.
func (x *connCtx) keepPartial(head []byte) {
	var next *[]byte
	for i, size := range partialClasses {
		if len(head) <= size {
			next = partialPools[i].Get().(*[]byte)
			break
		}
	}
	if next == nil {
		b := make([]byte, 0, len(head)) // longer than any class: the parse refuses it next
		next = &b
	}
	*next = append((*next)[:0], head...)
	x.dropPartial()
	x.partial = next
}

// dropPartial returns the kept bytes' buffer to its pool.
func (x *connCtx) dropPartial() {
	if x.partial == nil {
		return
	}
	b := x.partial
	x.partial = nil
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
