// Package topology describes the machine the way hwloc does: a Machine holds
// Packages, a Package holds NUMA nodes, a node holds caches and Cores, and a
// Core holds PUs (logical CPUs, numbered as Linux numbers them). It also says
// which CPUs this process may use (Usable), checks CPU ids (CheckCPUs), and
// places workers on CPUs (Place).
//
// Every reader takes a root folder, so a recorded or synthetic sysfs/procfs
// tree (see package topologytest) can stand in for the running machine.
package topology
