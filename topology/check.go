package topology

import "fmt"

// CPUProblem says why a CPU id cannot be used.
type CPUProblem int

// The problems CheckCPUs reports.
const (
	NoCPU        CPUProblem = iota + 1 // the set given holds no CPU
	Negative                           // the id is below 0
	NotOnMachine                       // no such CPU on this machine
	Offline                            // the CPU exists but is offline
	NotUsable                          // online, but outside this process's affinity or cgroup cpuset
)

// CPUError is a CPU id that cannot be used, and why.
type CPUError struct {
	CPU     int        // the CPU id; -1 with NoCPU
	Problem CPUProblem // why it cannot be used
	Usable  CPUSet     // the CPUs that can be used
}

func (e *CPUError) Error() string {
	var what string
	switch e.Problem {
	case NoCPU:
		what = "no CPU given"
	case Negative:
		what = fmt.Sprintf("CPU %d is negative", e.CPU)
	case NotOnMachine:
		what = fmt.Sprintf("CPU %d does not exist on this machine", e.CPU)
	case Offline:
		what = fmt.Sprintf("CPU %d is offline", e.CPU)
	case NotUsable:
		what = fmt.Sprintf("CPU %d is not allowed to this process (affinity mask or cgroup cpuset)", e.CPU)
	default:
		what = fmt.Sprintf("CPU %d cannot be used", e.CPU)
	}
	return fmt.Sprintf("%s; usable CPUs are %s", what, e.Usable)
}

// CheckCPU returns nil if this process can run on cpu, else a *CPUError
// saying why not.
func (m *Machine) CheckCPU(cpu int) error {
	var p CPUProblem
	switch {
	case cpu < 0:
		p = Negative
	case !m.present.Has(cpu):
		p = NotOnMachine
	case !m.online.Has(cpu):
		p = Offline
	case !m.usable.Has(cpu):
		p = NotUsable
	default:
		return nil
	}
	return &CPUError{CPU: cpu, Problem: p, Usable: m.usable}
}

// CheckCPUs returns nil if this process can run on every CPU of s, else a
// *CPUError for the lowest CPU that it cannot use. An empty s is an error.
func (m *Machine) CheckCPUs(s CPUSet) error {
	if s.IsEmpty() {
		return &CPUError{CPU: -1, Problem: NoCPU, Usable: m.usable}
	}
	if bad := s.Difference(m.usable); !bad.IsEmpty() {
		return m.CheckCPU(bad.First())
	}
	return nil
}
