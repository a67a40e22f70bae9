package shm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const smapsFixture = `7f0000000000-7f0000001000 ---p 00000000 00:00 0 
Size:                  4 kB
KernelPageSize:        4 kB
Rss:                   0 kB
AnonHugePages:         0 kB
THPeligible:           0
VmFlags: mr mw me 
7f0000200000-7f0000600000 rw-p 00000000 00:00 0 
Size:               4096 kB
KernelPageSize:        4 kB
Rss:                2052 kB
AnonHugePages:      2048 kB
Private_Hugetlb:       0 kB
THPeligible:           1
VmFlags: rd wr mr mw me ac hg 
7f0000600000-7f0000800000 rw-p 00000000 00:00 0 
Size:               2048 kB
KernelPageSize:        4 kB
Rss:                   0 kB
AnonHugePages:         0 kB
THPeligible:           1
VmFlags: rd wr mr mw me ac hg 
7f4000000000-7f4000400000 rw-p 00000000 00:10 12345                      /anon_hugepage (deleted)
Size:               4096 kB
KernelPageSize:     2048 kB
Rss:                   0 kB
AnonHugePages:         0 kB
Private_Hugetlb:    4096 kB
THPeligible:           0
VmFlags: rd wr mr mw me de ht 
`

func TestParseSmapsTHP(t *testing.T) {
	st, err := parseSmaps(strings.NewReader(smapsFixture), 0x7f0000200000, 4*mib)
	require.NoError(t, err)
	assert.Equal(t, 4*mib, st.size)
	assert.Equal(t, 2052<<10, st.rss)
	assert.Equal(t, 2*mib, st.anonHuge)
	assert.True(t, st.thpEligible)
	assert.Equal(t, THP, st.kind())
}

func TestParseSmapsSumsSplitMappings(t *testing.T) {
	st, err := parseSmaps(strings.NewReader(smapsFixture), 0x7f0000200000, 6*mib)
	require.NoError(t, err)
	assert.Equal(t, 6*mib, st.size)
	assert.Equal(t, 2*mib, st.anonHuge)
}

func TestParseSmapsUntouched(t *testing.T) {
	st, err := parseSmaps(strings.NewReader(smapsFixture), 0x7f0000600000, 2*mib)
	require.NoError(t, err)
	assert.Zero(t, st.rss)
	assert.Equal(t, THP, st.kind(), "eligible and untouched: huge pages on first touch")
}

func TestParseSmapsHugeTLB(t *testing.T) {
	st, err := parseSmaps(strings.NewReader(smapsFixture), 0x7f4000000000, 4*mib)
	require.NoError(t, err)
	assert.Equal(t, 4*mib, st.hugetlb)
	assert.Equal(t, 2*mib, st.kernelPage)
	assert.Equal(t, HugeTLB, st.kind())
}

func TestParseSmapsGuardIsNormal(t *testing.T) {
	st, err := parseSmaps(strings.NewReader(smapsFixture), 0x7f0000000000, 4096)
	require.NoError(t, err)
	assert.False(t, st.thpEligible)
	assert.Equal(t, NormalPages, st.kind())
}

func TestParseSmapsMissingMapping(t *testing.T) {
	_, err := parseSmaps(strings.NewReader(smapsFixture), 0x7f2000000000, 4096)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no mapping at 0x7f2000000000")
}

func TestParseSmapsOldKernelUsesVmFlags(t *testing.T) {
	old := "7f0000200000-7f0000400000 rw-p 00000000 00:00 0 \nSize: 2048 kB\nRss: 0 kB\nVmFlags: rd wr hg \n"
	st, err := parseSmaps(strings.NewReader(old), 0x7f0000200000, 2*mib)
	require.NoError(t, err)
	assert.True(t, st.thpEligible)
}
