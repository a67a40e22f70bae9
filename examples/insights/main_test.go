package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	s := out.String()
	assert.Contains(t, s, fmt.Sprintf("%d lookups in 3 calls", 3*2000*2000), "every task's lookups counted in some worker's state")
	assert.Contains(t, s, "working %")
	assert.Contains(t, s, "slowest tasks:")
	assert.Equal(t, 1, strings.Count(s, "total"), s)
}
