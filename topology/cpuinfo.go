package topology

import "github.com/klauspost/cpuid/v2"

// CPUInfo is the processor's identity and the instruction set features that
// matter for compute kernels, as the cpuid instruction (or the arm64 ID
// registers) reports them on the CPU the loading thread ran on. Only the
// running machine has one: a recorded sysfs tree cannot fake it.
type CPUInfo struct {
	Vendor     string   `json:"vendor"`     // "GenuineIntel", "AuthenticAMD", ...
	Brand      string   `json:"brand"`      // brand name, as the CPU gives it
	Family     int      `json:"family"`     // CPU family
	Model      int      `json:"model"`      // CPU model
	Stepping   int      `json:"stepping"`   // CPU stepping
	CacheLine  int      `json:"cache_line"` // cache line size in bytes; 0 if unknown
	X86Level   int      `json:"x86_level"`  // x86-64 microarchitecture level (1-4); 0 elsewhere
	Hypervisor string   `json:"hypervisor"` // hypervisor vendor, "" on bare metal
	Features   []string `json:"features"`   // kernel-relevant features present, in a fixed order
}

// kernelFeatures are the features CPUInfo reports, in this order.
var kernelFeatures = []cpuid.FeatureID{
	cpuid.SSE42, cpuid.POPCNT, cpuid.AESNI, cpuid.AVX, cpuid.AVX2, cpuid.FMA3,
	cpuid.F16C, cpuid.BMI2, cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL,
	cpuid.AVX512VNNI, cpuid.AVX512BF16, cpuid.AVX512FP16, cpuid.AVXVNNI,
	cpuid.AMXTILE, cpuid.AMXBF16, cpuid.AMXINT8, cpuid.GFNI, cpuid.VAES,
	cpuid.VPCLMULQDQ, cpuid.SHA, cpuid.ASIMD, cpuid.SVE, cpuid.SVE2,
}

func readCPUInfo() *CPUInfo {
	c := cpuid.CPU
	info := &CPUInfo{
		Vendor:    c.VendorString,
		Brand:     c.BrandName,
		Family:    c.Family,
		Model:     c.Model,
		Stepping:  c.Stepping,
		CacheLine: c.CacheLine,
		X86Level:  c.X64Level(),
	}
	if c.VM() {
		info.Hypervisor = c.HypervisorVendorString
	}
	for _, id := range kernelFeatures {
		if c.Supports(id) {
			info.Features = append(info.Features, id.String())
		}
	}
	return info
}
