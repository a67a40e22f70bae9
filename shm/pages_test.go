package shm

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// needScan skips a test of PAGEMAP_SCAN on kernels without it.
func needScan(t *testing.T, mem []byte) pageUse {
	t.Helper()
	u, err := scanPages(mem)
	if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
		t.Skipf("this kernel has no PAGEMAP_SCAN (Linux 6.7); New reads /proc/self/smaps instead: %v", err)
	}
	require.NoError(t, err)
	return u
}

func TestScanPagesAgreesWithSmaps(t *testing.T) {
	for name, opts := range map[string][]Option{
		"normal, faulted in": {NormalPages, Bind(firstNode(t))},
		"any, faulted in":    {Bind(firstNode(t))},
		"any, untouched":     nil,
		"small":              {Bind(firstNode(t))},
	} {
		t.Run(name, func(t *testing.T) {
			n := 4 * mib / 8
			if name == "small" {
				n = 1000
			}
			a := newFloats(t, n, opts...)
			u := needScan(t, a.mem)
			st, err := readSmaps(a.mem)
			require.NoError(t, err)
			assert.Equal(t, pageUse{resident: st.rss + st.hugetlb, huge: st.anonHuge + st.hugetlb}, u)
			if len(opts) > 0 {
				assert.Equal(t, a.Bytes(), u.resident, "faulted in at construction")
			} else {
				assert.Zero(t, u.resident)
			}
		})
	}
}

func TestScanPagesHalfTouched(t *testing.T) {
	a := newFloats(t, 64*pageSize/8, NormalPages)
	s := a.Slice()
	for i := 0; i < len(s); i += 2 * pageSize / 8 {
		s[i] = 1 // every other page
	}
	assert.Equal(t, pageUse{resident: 32 * pageSize}, needScan(t, a.mem))
}

func TestScanPagesAgreesWithSmapsOnReadPages(t *testing.T) {
	// A read maps the shared zero page where the kernel uses one, which
	// smaps does not count as resident; some kernels allocate instead.
	a := newFloats(t, 8*pageSize/8, NormalPages)
	s := a.Slice()
	for i := 0; i < len(s); i += pageSize / 8 {
		sink += s[i]
	}
	u := needScan(t, a.mem)
	st, err := readSmaps(a.mem)
	require.NoError(t, err)
	assert.Equal(t, pageUse{resident: st.rss}, u)
}

func TestTHPRefusedAgreesWithTheKernel(t *testing.T) {
	thpWorks(t)
	a := newFloats(t, 4*mib/8, THP)
	st, err := readSmaps(a.mem)
	require.NoError(t, err)
	assert.Equal(t, st.thpEligible, thpRefused() == "", "THPeligible %v, refused %q", st.thpEligible, thpRefused())
	assert.Equal(t, THP, a.Kind())
}

func TestNormalPagesAreNotTHPEligible(t *testing.T) {
	a := newFloats(t, 4*mib/8, NormalPages)
	st, err := readSmaps(a.mem)
	require.NoError(t, err)
	assert.False(t, st.thpEligible, "advised MADV_NOHUGEPAGE")
	assert.Equal(t, NormalPages, a.Kind())
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		made PageKind
		u    pageUse
		want PageKind
	}{
		{HugeTLB, pageUse{}, HugeTLB},
		{HugeTLB, pageUse{resident: 4 * mib, huge: 4 * mib}, HugeTLB},
		{THP, pageUse{resident: 4 * mib, huge: 2 * mib}, THP},
		{THP, pageUse{resident: 4 * mib}, NormalPages},
		{NormalPages, pageUse{resident: 4 * mib}, NormalPages},
		{NormalPages, pageUse{}, NormalPages},
	} {
		assert.Equal(t, tc.want, kindOf(tc.made, tc.u), "%v %+v", tc.made, tc.u)
	}
	want := NormalPages
	if thpRefused() == "" {
		want = THP
	}
	assert.Equal(t, want, kindOf(THP, pageUse{}), "untouched THP: as the settings say (%q)", thpRefused())
}

func TestUsageFallsBackToSmaps(t *testing.T) {
	a := newFloats(t, 4*mib/8, Bind(firstNode(t)))
	scanned, scanErr := scanPages(a.mem)
	was := noScan.Load()
	noScan.Store(true) // as on a kernel before 6.7
	t.Cleanup(func() { noScan.Store(was) })
	u, err := usage(a.mem)
	require.NoError(t, err)
	assert.Equal(t, a.Bytes(), u.resident)
	if scanErr == nil {
		assert.Equal(t, scanned, u, "smaps and PAGEMAP_SCAN agree")
	}
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Equal(t, a.Kind(), st.Kind)
	assert.Equal(t, map[int]int{firstNode(t): a.Bytes()}, st.NodeBytes)
}
