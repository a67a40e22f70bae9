// Package topology describes the machine the way hwloc does: a Machine holds
// Packages, a Package holds NUMA nodes, a node holds caches and Cores, and a
// Core holds PUs (logical CPUs, numbered by Linux). It also says which CPUs
// this process may use, checks CPU ids, and places workers on CPUs.
//
// Every reader takes a root folder, so a recorded or synthetic sysfs/procfs
// tree can stand in for the running machine.
package topology
