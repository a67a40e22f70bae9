package numavm

import (
	"encoding/xml"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/numapool/numapool/topology"
)

// Summary is a machine reduced to the keys of the topology corpus' expected
// files, which the inspection tool's -json output also holds: counts of each
// object, the usable CPUs, the usable CPUs of each NUMA node and package (by
// OS index), and the usable SMT siblings of each core.
type Summary struct {
	Packages     int           `json:"packages"`
	NUMANodes    int           `json:"numa_nodes"`
	Cores        int           `json:"cores"`
	PUs          int           `json:"pus"`
	PUOSIndexes  []int         `json:"pu_os_indexes"`
	PUsByNode    map[int][]int `json:"pus_by_node"`
	PUsByPackage map[int][]int `json:"pus_by_package"`
	CorePUs      [][]int       `json:"core_pus"`
}

// hwlocObject is one <object> of hwloc's XML export.
type hwlocObject struct {
	Type     string        `xml:"type,attr"`
	OSIndex  string        `xml:"os_index,attr"`
	CPUSet   string        `xml:"cpuset,attr"`
	Children []hwlocObject `xml:"object"`
}

// HwlocSummary reduces hwloc's XML export (lstopo --of xml) to a Summary as
// the corpus' expected files were made: the count of each object type, the
// PUs, the PUs in each NUMA node's and package's cpuset, each core's PUs.
func HwlocSummary(x []byte) (Summary, error) {
	var doc struct {
		Objects []hwlocObject `xml:"object"`
	}
	if err := xml.Unmarshal(x, &doc); err != nil {
		return Summary{}, fmt.Errorf("numavm: reading hwloc's XML: %w", err)
	}
	var all []hwlocObject
	var walk func([]hwlocObject)
	walk = func(objs []hwlocObject) {
		for _, o := range objs {
			all = append(all, o)
			walk(o.Children)
		}
	}
	walk(doc.Objects)

	s := Summary{PUsByNode: map[int][]int{}, PUsByPackage: map[int][]int{}, CorePUs: [][]int{}}
	pus := map[int]bool{}
	for _, o := range all {
		if o.Type == "PU" {
			id, err := strconv.Atoi(o.OSIndex)
			if err != nil {
				return s, fmt.Errorf("numavm: hwloc PU with os_index %q", o.OSIndex)
			}
			pus[id] = true
		}
	}
	s.PUOSIndexes = slices.Sorted(maps.Keys(pus))
	s.PUs = len(pus)
	inSet := func(o hwlocObject) ([]int, error) {
		set, err := parseHwlocBitmap(o.CPUSet)
		if err != nil {
			return nil, err
		}
		out := []int{}
		for _, id := range s.PUOSIndexes {
			if set[id] {
				out = append(out, id)
			}
		}
		return out, nil
	}
	for _, o := range all {
		var byID map[int][]int
		switch o.Type {
		case "Package":
			s.Packages++
			byID = s.PUsByPackage
		case "NUMANode":
			s.NUMANodes++
			byID = s.PUsByNode
		case "Core":
			s.Cores++
			ids, err := inSet(o)
			if err != nil {
				return s, err
			}
			s.CorePUs = append(s.CorePUs, ids)
			continue
		default:
			continue
		}
		id, err := strconv.Atoi(o.OSIndex)
		if o.OSIndex == "" {
			// hwloc leaves the index out when the kernel gives none (some
			// POWER packages): number them in order, as the corpus does.
			id, err = len(byID), nil
		}
		if err != nil {
			return s, fmt.Errorf("numavm: hwloc %s with os_index %q", o.Type, o.OSIndex)
		}
		ids, err := inSet(o)
		if err != nil {
			return s, err
		}
		byID[id] = topology.NewCPUSet(append(byID[id], ids...)...).Slice()
	}
	return s, nil
}

// parseHwlocBitmap reads hwloc's bitmap text: comma-separated 32-bit hex
// words, most significant first ("0x00000003", "0x00000001,0xffffffff"),
// an empty word standing for zero ("0x000000ff,,0x0"), possibly starting
// with "0xf...f" for an infinite set, which is read as its finite words.
func parseHwlocBitmap(s string) (map[int]bool, error) {
	set := map[int]bool{}
	if s == "" {
		return set, nil
	}
	words := strings.Split(s, ",")
	for i, w := range words {
		if w == "0xf...f" || w == "" { // infinite, or an all-zero word
			continue
		}
		v, err := strconv.ParseUint(strings.TrimPrefix(w, "0x"), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("numavm: hwloc bitmap %q: word %q is not 32-bit hex", s, w)
		}
		base := 32 * (len(words) - 1 - i)
		for bit := range 32 {
			if v&(1<<bit) != 0 {
				set[base+bit] = true
			}
		}
	}
	return set, nil
}

// CompareSummaries lists where got differs from hwloc's want, key by key,
// as the corpus test compares them (core lists in any order); nil when they
// agree.
func CompareSummaries(want, got Summary) []string {
	var diffs []string
	check := func(key string, w, g any) {
		if !reflect.DeepEqual(w, g) {
			diffs = append(diffs, fmt.Sprintf("%s: hwloc %v, numapool %v", key, w, g))
		}
	}
	check("packages", want.Packages, got.Packages)
	check("numa_nodes", want.NUMANodes, got.NUMANodes)
	check("cores", want.Cores, got.Cores)
	check("pus", want.PUs, got.PUs)
	check("pu_os_indexes", want.PUOSIndexes, got.PUOSIndexes)
	check("pus_by_node", want.PUsByNode, got.PUsByNode)
	check("pus_by_package", want.PUsByPackage, got.PUsByPackage)
	sorted := func(c [][]int) [][]int {
		out := slices.Clone(c)
		slices.SortFunc(out, slices.Compare)
		return out
	}
	check("core_pus", sorted(want.CorePUs), sorted(got.CorePUs))
	return diffs
}
