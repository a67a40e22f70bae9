package numapool

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A successful call with a default bar drawn on a terminal ends, also
// over a sequence shorter than its IterableLen.
func TestDefaultBarOfShortSeqEnds(t *testing.T) {
	for _, lazy := range []bool{false, true} {
		t.Run(fmt.Sprintf("lazy=%v", lazy), func(t *testing.T) {
			p := newPool(t, Workers(2))
			p.display = &display{out: io.Discard, isTerm: func() bool { return true }}
			within(t, 10*time.Second, "a call over 51 items with IterableLen(53) and a bar", func() {
				if lazy {
					n := 0
					for _, err := range IMapUnordered(p, countTo(51), square, IterableLen(53), ProgressBar()) {
						assert.NoError(t, err)
						n++
					}
					assert.Equal(t, 51, n)
					return
				}
				r, err := Map(p, countTo(51), square, IterableLen(53), ProgressBar())
				assert.NoError(t, err)
				assert.Equal(t, squares(51), r)
			})
		})
	}
}
