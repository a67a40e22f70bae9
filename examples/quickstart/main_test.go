package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")

	m, err := topology.Current()
	require.NoError(t, err)
	usable := m.Usable()
	workers := usable.Len()
	require.Equal(t, fmt.Sprintf("%d workers", workers), lines[0])

	// One line per worker, each pinned to a usable CPU; by default the
	// workers cover every usable CPU once.
	pinned := topology.NewCPUSet()
	for id := range workers {
		line := lines[1+id]
		prefix := fmt.Sprintf("worker %d pinned to CPU ", id)
		require.True(t, strings.HasPrefix(line, prefix), line)
		cpu, err := strconv.Atoi(strings.TrimPrefix(line, prefix))
		require.NoError(t, err, line)
		assert.True(t, usable.Has(cpu), "CPU %d is not usable", cpu)
		pinned = pinned.Add(cpu)
	}
	assert.True(t, pinned.Equal(usable), "workers cover %s, usable CPUs are %s", pinned, usable)

	want := make([]string, 100)
	for i := range want {
		want[i] = strconv.Itoa(i * i)
	}
	assert.Equal(t, "squares of 0..99: ["+strings.Join(want, " ")+"]", lines[1+workers])

	// The per-CPU counts add up to the 100 tasks, on usable CPUs only.
	perCPU := regexp.MustCompile(`^CPU (\d+) ran (\d+) tasks$`)
	total := 0
	for _, line := range lines[2+workers:] {
		m := perCPU.FindStringSubmatch(line)
		require.NotNil(t, m, line)
		cpu, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		assert.True(t, usable.Has(cpu), line)
		total += n
	}
	assert.Equal(t, 100, total)
}
