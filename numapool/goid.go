package numapool

import (
	"bytes"
	"runtime"
	"strconv"
)

// goid returns the calling goroutine's id, read from the first line of its
// stack trace ("goroutine 42 [running]:"). It costs about a microsecond, so
// it is taken once per call over an iter.Seq or lazy call, never per task:
// those calls run user code (the generator and the loop body) on the
// calling goroutine, and Close and Terminate use the id to recognise a call
// to them from that code, which must not wait for its own call.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0
	}
	return id
}
