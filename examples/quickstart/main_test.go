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

	assert.Equal(t, "primes below 1000000: 78498, counted in 100 tasks of 10000 numbers", lines[2+workers])

	// One line per worker, in ID order: its tasks add up to the 100, and
	// it ran them on the CPU it is pinned to (run itself fails a task that
	// ran elsewhere). How the 100 tasks fall between the workers depends on
	// the scheduler, so only their sum is exact.
	require.Len(t, lines, 3+2*workers)
	perWorker := regexp.MustCompile(`^worker (\d+) ran (\d+) tasks(?: on CPU (\S+))?$`)
	total := 0
	for id := range workers {
		line := lines[3+workers+id]
		m := perWorker.FindStringSubmatch(line)
		require.NotNil(t, m, line)
		assert.Equal(t, strconv.Itoa(id), m[1], line)
		n, err := strconv.Atoi(m[2])
		require.NoError(t, err, line)
		total += n
		if n == 0 {
			assert.Empty(t, m[3], line)
			continue
		}
		assert.Equal(t, strings.TrimPrefix(lines[1+id], fmt.Sprintf("worker %d pinned to CPU ", id)), m[3],
			"worker %d ran its tasks on its own CPU", id)
	}
	assert.Equal(t, 100, total)
}

// countPrimes agrees with a sieve on every block, the edges included.
func TestCountPrimes(t *testing.T) {
	composite := make([]bool, limit)
	want := make([]int, limit/block)
	for x := 2; x < limit; x++ {
		if composite[x] {
			continue
		}
		want[x/block]++
		for y := x * x; y < limit; y += x {
			composite[y] = true
		}
	}
	for i := range want {
		assert.Equal(t, want[i], countPrimes(i*block), "block %d", i)
	}
}
