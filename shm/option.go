package shm

// An Option changes how an array is made: a PageKind demands that kind of
// page, a Placement (Bind, Interleave, FirstTouch) places its pages.
type Option interface {
	apply(*config) error
}

type config struct {
	pages    PageKind
	pagesSet bool
	place    Placement
	placeSet bool
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
