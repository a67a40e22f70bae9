package topologytest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestListAndMask(t *testing.T) {
	assert.Equal(t, "0-3,8,10-11", listOf([]int{11, 0, 1, 2, 3, 8, 10}))
	assert.Equal(t, "", listOf(nil))
	assert.Equal(t, "5", list(5, 5))
	assert.Equal(t, "00000001,0000000f", mask([]int{0, 1, 2, 3, 32}))
	assert.Equal(t, "00000000", mask(nil))
}
