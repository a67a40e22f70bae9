package shm

import (
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFreeTwiceIsAnError(t *testing.T) {
	a, err := New[float64](1000)
	require.NoError(t, err)
	require.NoError(t, a.Free())
	err = a.Free()
	require.ErrorIs(t, err, ErrFreed)
	assert.Equal(t, "shm: Free of Array[float64]: array already freed", err.Error())
}

func TestConcurrentFreeOnlyOneWins(t *testing.T) {
	a, err := New[int32](1000)
	require.NoError(t, err)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = a.Free() })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			assert.ErrorIs(t, err, ErrFreed)
		}
	}
	assert.Equal(t, 1, ok)
}

func TestUseAfterFreeIsRefused(t *testing.T) {
	a, err := New[float64](1000)
	require.NoError(t, err)
	require.NoError(t, a.Free())
	assert.PanicsWithValue(t, "shm: Slice of a freed Array[float64]", func() { a.Slice() })
	_, err = a.Stat()
	assert.ErrorIs(t, err, ErrFreed)
	assert.Equal(t, 1000, a.Len(), "Len needs no memory")
}

func TestFreeReturnsTheMemoryAndKeepsTheAddresses(t *testing.T) {
	a := newFloats(t, 4*mib/8, Bind(firstNode(t)))
	before, err := readSmaps(a.mem)
	require.NoError(t, err)
	require.Equal(t, a.Bytes(), before.rss+before.hugetlb)

	require.NoError(t, a.Free())
	after, err := readSmaps(a.mem)
	require.NoError(t, err, "the range stays mapped")
	assert.Zero(t, after.rss+after.hugetlb, "no memory behind it")
	assert.Equal(t, NormalPages, after.kind())
	assert.False(t, after.thpEligible)
}

var sink float64

// staleAccess runs f on a goroutine whose faults are panics and returns
// what it recovered.
func staleAccess(f func()) (r any) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		debug.SetPanicOnFault(true)
		defer func() { r = recover() }()
		f()
	}()
	<-done
	return r
}

func TestStaleSliceFaultsInsteadOfReadingOtherMemory(t *testing.T) {
	a, err := New[float64](4*mib/8, Bind(firstNode(t)))
	require.NoError(t, err)
	s := a.Slice()
	s[10] = 42
	require.NoError(t, a.Free())

	// New arrays must not land on the freed addresses.
	b := newFloats(t, 4*mib/8, Bind(firstNode(t)))
	assert.NotEqual(t, unsafe.Pointer(&s[0]), unsafe.Pointer(&b.Slice()[0]))

	for name, f := range map[string]func(){
		"read":  func() { sink = s[10] },
		"write": func() { s[10] = 1 },
	} {
		r := staleAccess(f)
		require.NotNil(t, r, name)
		re, ok := r.(runtime.Error)
		require.True(t, ok, "%s: %v", name, r)
		addr, ok := r.(interface{ Addr() uintptr })
		require.True(t, ok, "%s: %v", name, re)
		assert.Equal(t, uintptr(unsafe.Pointer(&s[10])), addr.Addr(), name)
	}
}
