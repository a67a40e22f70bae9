package shm_test

import (
	"fmt"
	"log"
	"runtime"

	"github.com/numapool/numapool/csrc"
	"github.com/numapool/numapool/shm"
	"github.com/numapool/numapool/topology"
)

// An array outside the Go heap, used through an ordinary slice.
func ExampleNew() {
	a, err := shm.New[float64](1 << 20)
	if err != nil {
		log.Fatal(err)
	}
	defer a.Free()

	s := a.Slice()
	for i := range s {
		s[i] = float64(i)
	}
	fmt.Println(len(s), s[len(s)-1])
	// Output: 1048576 1.048575e+06
}

// Element types must be free of pointers: this one holds a string.
func ExampleNew_pointers() {
	type record struct {
		ID   int
		Name string
	}
	_, err := shm.New[record](10)
	fmt.Println(err != nil)
	// Output: true
}

// Bind places every page on one node before any is touched; Stat reads back
// what the kernel did: here, that all 32 MiB are resident, all on the first
// node with memory. (Stat also says which page kind the mapping got, which
// depends on the machine.)
func ExampleArray_Stat() {
	m, err := topology.Current()
	if err != nil {
		log.Fatal(err)
	}
	node := m.Nodes()[0].OSIndex
	for _, n := range m.Nodes() {
		if n.Memory > 0 {
			node = n.OSIndex
			break
		}
	}
	a, err := shm.New[float64](4<<20, shm.Bind(node))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Free()
	st, err := a.Stat()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Bytes == 32<<20, st.Resident == st.Bytes, st.NodeBytes[node] == st.Bytes)
	// Output: true true true
}

// A copy on every node; each worker reads the one on its own node.
func ExampleReplicated_ForNode() {
	r, err := shm.NewReplicated[int32](4, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Free()
	if err := r.Load([]int32{1, 2, 3, 4}); err != nil {
		log.Fatal(err)
	}
	local := r.ForNode(r.Nodes()[0]).([]int32)
	fmt.Println(local)
	// Output: [1 2 3 4]
}

// Freeing twice is an error, not a crash.
func ExampleArray_Free() {
	a, err := shm.New[byte](100)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Free())
	fmt.Println(a.Free())
	// Output:
	// <nil>
	// shm: Free of Array[uint8]: array already freed
}

// Scratch memory on the node of the thread that makes it: a numapool worker
// would call New with Local in its init, on its own pinned thread. Here a
// goroutine locks and pins its thread to one CPU itself.
func ExampleLocal() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the pinned thread ends with the goroutine
		cpus, err := csrc.ThreadAffinity()
		if err != nil {
			log.Fatal(err)
		}
		if err := csrc.PinThread(cpus[:1]); err != nil {
			log.Fatal(err)
		}
		scratch, err := shm.New[float64](1<<20, shm.Local())
		if err != nil {
			log.Fatal(err)
		}
		defer scratch.Free()
		node := scratch.Policy().Nodes()[0]
		st, err := scratch.Stat()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(scratch.Policy().String() == fmt.Sprintf("bind(%d)", node), st.NodeBytes[node] == st.Bytes)
	}()
	<-done
	// Output: true true
}

// InUse counts the arrays made and not yet freed: a program that frees
// everything it makes comes back to where it started.
func ExampleInUse() {
	before := shm.InUse()
	a, err := shm.New[int64](1000)
	if err != nil {
		log.Fatal(err)
	}
	during := shm.InUse()
	fmt.Println(during.Arrays-before.Arrays, during.Bytes-before.Bytes == a.Bytes())
	if err := a.Free(); err != nil {
		log.Fatal(err)
	}
	after := shm.InUse()
	fmt.Println(after.Arrays-before.Arrays, after.Quarantined > 0)
	// Output:
	// 1 true
	// 0 true
}
