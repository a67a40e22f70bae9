package numapool

import "runtime"

func runtimeGoexit() { runtime.Goexit() }
