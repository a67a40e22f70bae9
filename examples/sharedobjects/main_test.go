package main

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// join prints f(i) for i in 0..n-1 as fmt prints a slice.
func join(n int, f func(i int) int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = strconv.Itoa(f(i))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")

	var workers int
	_, err := fmt.Sscanf(lines[0], "pool of %d workers", &workers)
	require.NoError(t, err, lines[0])
	require.Positive(t, workers)

	squares := join(n, func(i int) int { return i * i })
	assert.Contains(t, lines, "1. squares: "+squares)
	assert.Contains(t, lines, "2. squares: "+squares)
	assert.Contains(t, lines, "2. sums: "+join(n, func(i int) int { return 2 * i }))
	assert.Contains(t, lines, "2. x%2: "+join(n, func(i int) int { return i % 2 }))

	// Part 3: one line per worker; each worker's sum is the squares of
	// the blocks it took, and together they are every square of
	// 0..n*blockLen-1, in n tasks. How many tasks each worker took depends
	// on timing, so only the totals are exact.
	perWorker := regexp.MustCompile(`(?m)^3\. worker (\d+): (\d+) tasks, sum (\d+)$`)
	got := perWorker.FindAllStringSubmatch(out, -1)
	require.Len(t, got, workers)
	var total, tasks int64
	for id, m := range got {
		assert.Equal(t, strconv.Itoa(id), m[1])
		k, err := strconv.ParseInt(m[2], 10, 64)
		require.NoError(t, err)
		v, err := strconv.ParseInt(m[3], 10, 64)
		require.NoError(t, err)
		if k == 0 {
			assert.Zero(t, v, "worker %d took no task", id)
		} else {
			assert.Positive(t, v, "worker %d took %d tasks", id, k)
		}
		total += v
		tasks += k
	}
	const sumOfSquares = 8999995500000500000 // sum of i*i for i < 3,000,000
	assert.Equal(t, int64(n*blockLen), int64(3_000_000))
	assert.Equal(t, int64(sumOfSquares), total)
	assert.Equal(t, int64(n), tasks)
	assert.Contains(t, lines, "3. total: 8999995500000500000 in 100 tasks")

	// Parts 1 and 4: page kinds and placement as the kernel reports them.
	// The small array is one normal page; the big one's kind depends on
	// the machine (THP where enabled), but it is all resident after the
	// workers wrote it.
	assert.Regexp(t, `(?m)^   squares: 100 values; at creation the kernel gave normal pages; now normal pages, 4096 bytes mapped, 4096 resident, 0 in huge pages; policy default; resident bytes per node map\[\d+:4096\]$`, out)
	assert.Regexp(t, `(?m)^   big: 4194304 values; at creation the kernel gave (hugetlb|thp|normal) pages; now (hugetlb|thp|normal) pages, 33554432 bytes mapped, 33554432 resident, \d+ in huge pages; policy first-touch; resident bytes per node map\[.+\]$`, out)
	assert.Regexp(t, `(?m)^4\. blocks written from workers on nodes \[-?\d+( \d+)*\]$`, out)

	// Part 5: every worker reads the copy on its own node (on a machine
	// where workers' CPUs each sit in one node).
	table := regexp.MustCompile(`(?m)^5\. table of 65536 values copied on nodes \[(\d+(?: \d+)*)\]$`).FindStringSubmatch(out)
	require.NotNil(t, table, out)
	copies := strings.Fields(table[1])
	reads := regexp.MustCompile(`(?m)^5\. worker (\d+) on node (-?\d+) reads the copy on node (\d+)$`)
	got = reads.FindAllStringSubmatch(out, -1)
	require.Len(t, got, workers)
	for id, m := range got {
		assert.Equal(t, strconv.Itoa(id), m[1])
		assert.Contains(t, copies, m[3], "worker %d", id)
		if slices.Contains(copies, m[2]) { // its node holds a copy
			assert.Equal(t, m[2], m[3], "worker %d", id)
		}
	}

	// Part 6: each worker's scratch array lies on its own node (where the
	// node has memory; else on the nearest node with memory).
	scratch := regexp.MustCompile(`(?m)^6\. worker (\d+) on node (-?\d+) has its scratch on nodes \[(\d+)\]$`)
	got = scratch.FindAllStringSubmatch(out, -1)
	require.Len(t, got, workers, out)
	for id, m := range got {
		assert.Equal(t, strconv.Itoa(id), m[1])
		assert.Contains(t, copies, m[3], "worker %d: on a node with memory", id)
		if slices.Contains(copies, m[2]) {
			assert.Equal(t, m[2], m[3], "worker %d", id)
		}
	}
}
