package topology

// objects is one copy of a Machine's object graph.
type objects struct {
	packages []*Package
	nodes    []*Node
	cores    []*Core
	pus      []*PU
	caches   []*Cache
}

// indexGraph numbers each object by its position in the Machine's lists,
// so that a copy links its objects without maps; Load calls it once the
// objects are built.
func (m *Machine) indexGraph() {
	for i, p := range m.packages {
		p.idx = i
	}
	for i, n := range m.nodes {
		n.idx = i
	}
	for i, c := range m.cores {
		c.idx = i
	}
	for i, p := range m.pus {
		p.idx = i
	}
}

// objects returns a fresh copy of the machine's packages, nodes, cores, PUs
// and caches, linked to each other as in the Machine, so that a caller that
// changes them changes nothing the Machine reports. Objects hwloc would not
// show (see Package.hidden, Core.hidden) are left out, and links to them
// are nil. It makes one allocation per kind of object and per kind of
// list, whatever the machine's size.
func (m *Machine) objects() objects {
	pkgs := make([]Package, len(m.packages))
	nodes := make([]Node, len(m.nodes))
	cores := make([]Core, len(m.cores))
	pus := make([]PU, len(m.pus))
	caches := make([]Cache, len(m.caches))
	pkgOf := func(p *Package) *Package {
		if p == nil || p.hidden {
			return nil
		}
		return &pkgs[p.idx]
	}
	nodeOf := func(n *Node) *Node {
		if n == nil {
			return nil
		}
		return &nodes[n.idx]
	}
	coreOf := func(c *Core) *Core {
		if c == nil || c.hidden {
			return nil
		}
		return &cores[c.idx]
	}
	o := objects{
		packages: make([]*Package, 0, len(pkgs)),
		nodes:    make([]*Node, 0, len(nodes)),
		cores:    make([]*Core, 0, len(cores)),
		pus:      make([]*PU, 0, len(pus)),
		caches:   make([]*Cache, 0, len(caches)),
	}
	var nHuge, nPkgNodes, nPkgCores, nCorePUs int
	for _, n := range m.nodes {
		nHuge += len(n.HugePages)
	}
	for _, p := range m.packages {
		nPkgNodes += len(p.Nodes)
		nPkgCores += len(p.Cores)
	}
	for _, c := range m.cores {
		nCorePUs += len(c.PUs)
	}
	huge := make([]HugePages, 0, nHuge)
	pkgNodes := make([]*Node, 0, nPkgNodes)
	pkgCores := make([]*Core, 0, nPkgCores)
	corePUs := make([]*PU, 0, nCorePUs)
	for i, n := range m.nodes {
		c := &nodes[i]
		*c = *n
		start := len(huge)
		huge = append(huge, n.HugePages...)
		c.HugePages = huge[start:len(huge):len(huge)]
		if n.HugePages == nil {
			c.HugePages = nil
		}
		c.Package = pkgOf(n.Package)
		o.nodes = append(o.nodes, c)
	}
	for i, p := range m.pus {
		c := &pus[i]
		*c = *p
		c.Core, c.Package, c.Node = coreOf(p.Core), pkgOf(p.Package), nodeOf(p.Node)
		o.pus = append(o.pus, c)
	}
	for i, k := range m.cores {
		c := &cores[i]
		*c = *k
		c.Package, c.Node = pkgOf(k.Package), nodeOf(k.Node)
		start := len(corePUs)
		for _, p := range k.PUs {
			corePUs = append(corePUs, &pus[p.idx])
		}
		c.PUs = corePUs[start:len(corePUs):len(corePUs)]
		if !k.hidden {
			o.cores = append(o.cores, c)
		}
	}
	for i, p := range m.packages {
		c := &pkgs[i]
		*c = *p
		start := len(pkgNodes)
		for _, n := range p.Nodes {
			pkgNodes = append(pkgNodes, nodeOf(n))
		}
		c.Nodes = pkgNodes[start:len(pkgNodes):len(pkgNodes)]
		start = len(pkgCores)
		for _, k := range p.Cores {
			if kc := coreOf(k); kc != nil {
				pkgCores = append(pkgCores, kc)
			}
		}
		c.Cores = pkgCores[start:len(pkgCores):len(pkgCores)]
		if !p.hidden {
			o.packages = append(o.packages, c)
		}
	}
	for i, k := range m.caches {
		caches[i] = *k
		o.caches = append(o.caches, &caches[i])
	}
	return o
}
