package shm

// An Option changes how an array is made: a PageKind demands that kind of
// page, a MemPolicy (Bind, Interleave, FirstTouch) places its pages on
// NUMA nodes.
type Option interface {
	apply(*config) error
}

type config struct {
	pages     PageKind
	pagesSet  bool
	policy    MemPolicy
	policySet bool
}

func newConfig(opts []Option) (config, error) {
	var c config
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}
