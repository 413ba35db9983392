package wasmrt

import (
	"sync/atomic"
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// memoryLimit backs one module's linear memory and refuses to grow it past
// limit bytes. A refused growth calls onOOM, which ends the module: the
// guest would otherwise see a failed memory.grow and carry on as it likes.
//
// One allocator per module instance replaces wazero's per-runtime page
// limit, so modules with different limits share one runtime and one copy
// of their compiled code.
type memoryLimit struct {
	limit uint64 // bytes; 0 means none
	onOOM func()
	buf   []byte
	mmap  []byte // the whole reservation, when buf lives in one
	max   uint64
	sized bool // the first Reallocate, to the module's minimum, happened
	oom   atomic.Bool
}

var _ experimental.MemoryAllocator = (*memoryLimit)(nil)

// maxReservation bounds the address space reserved for one module's memory: wasm32's 4 GiB.
const maxReservation = 4 << 30

// Allocate implements experimental.MemoryAllocator. It reserves address space for the most the
// memory may grow to (the limit, else the module's maximum) in one anonymous mapping, so growing
// never copies: pages cost memory only once the guest touches them. Where the mapping fails it
// falls back to a Go slice that grows by copying.
func (m *memoryLimit) Allocate(capacity, maximum uint64) experimental.LinearMemory {
	m.max = maximum
	reserve := uint64(maxReservation)
	if maximum > 0 {
		reserve = min(reserve, maximum)
	}
	if m.limit > 0 {
		reserve = min(reserve, max(m.limit, capacity))
	}
	if reserve > 0 {
		b, err := syscall.Mmap(-1, 0, int(reserve), syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
		if err == nil {
			m.mmap, m.buf = b, b[:0]
			return m
		}
	}
	if m.limit > 0 {
		capacity = min(capacity, m.limit)
	}
	m.buf = make([]byte, 0, capacity)
	return m
}

// Reallocate implements experimental.LinearMemory.
func (m *memoryLimit) Reallocate(size uint64) []byte {
	first := !m.sized
	m.sized = true
	if m.limit > 0 && size > m.limit {
		m.oom.Store(true)
		m.onOOM()
		if !first {
			return nil // memory.grow fails
		}
		// The module's minimum memory is over the limit. wazero cannot fail
		// this first allocation, so grant it; onOOM has ended the module.
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	grown := max(size, 2*uint64(cap(m.buf)))
	if m.max > 0 {
		grown = min(grown, m.max)
	}
	if m.limit > 0 {
		grown = min(grown, max(m.limit, size))
	}
	buf := make([]byte, size, grown)
	copy(buf, m.buf)
	m.buf = buf
	return buf
}

// Free implements experimental.LinearMemory.
func (m *memoryLimit) Free() {
	if m.mmap != nil {
		syscall.Munmap(m.mmap)
		m.mmap = nil
	}
	m.buf = nil
}

// exceeded reports whether the module tried to grow past the limit.
func (m *memoryLimit) exceeded() bool { return m.oom.Load() }
