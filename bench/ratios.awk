# ratios.awk: median ns/op of each benchmark in `go test -bench` output, and
# its ratio to two baselines of the same group (the part before the first
# slash), handsplit-alloc and chanpool by default:
#
#	awk -f ratios.awk new.txt
#	awk -v base1=seq -v base2=chanpool -f ratios.awk new.txt
#
# A ratio below 1 is faster than the baseline; "-" where the group has no
# such baseline. benchstat gives the confidence intervals; this gives the
# ratios the README quotes.
BEGIN {
	if (base1 == "") base1 = "handsplit-alloc"
	if (base2 == "") base2 = "chanpool"
}
/^Benchmark/ && $4 == "ns/op" {
	name = $1
	sub(/-[0-9]+$/, "", name) # the GOMAXPROCS suffix
	if (!(name in count)) order[++names] = name
	v[name, ++count[name]] = $3
}
function median(name,    n, i, j, t, a) {
	n = count[name]
	for (i = 1; i <= n; i++) a[i] = v[name, i]
	for (i = 2; i <= n; i++) # insertion sort, n is small
		for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
function ratio(name, base,    group, b) {
	group = name
	sub(/\/.*/, "", group)
	b = group "/" base
	if (!(b in count)) return "-"
	return sprintf("%.2f", median(name) / median(b))
}
END {
	printf "%-36s %5s %14s %10s %10s\n", "benchmark", "runs", "median ns/op", "/" base1, "/" base2
	for (k = 1; k <= names; k++) {
		name = order[k]
		printf "%-36s %5d %14.0f %10s %10s\n", name, count[name], median(name), ratio(name, base1), ratio(name, base2)
	}
}
