#!/bin/sh
# deps.sh CACHE: installs from Debian what make test-numa needs and is
# missing (qemu-system-x86, busybox-static, hwloc-nox), and unpacks the
# kernel of linux-image-amd64 with dpkg-deb -x into CACHE/kernel (nothing
# of it is installed on the host). A package that cannot be installed is
# reported and left to the driver, which skips when QEMU cannot run at all
# and fails when anything else is missing.
set -u
cache=${1:-numavm/.cache}
# Not root: apt-get through sudo -n, which fails at once rather than ask
# for a password.
sudo=
[ "$(id -u)" = 0 ] || sudo="sudo -n"
updated=
update() {
	if [ -z "$updated" ]; then
		$sudo apt-get update -q >/dev/null || echo "numavm/deps.sh: apt-get update failed"
		updated=1
	fi
}
install() {
	if [ -n "$sudo" ] && ! sudo -n true 2>/dev/null; then
		echo "numavm/deps.sh: need $* from Debian; run as root or with password-less sudo (or install them) to let make test-numa install them"
		return 1
	fi
	update
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 "$@" >/dev/null || echo "numavm/deps.sh: could not install $*"
}

need=
command -v qemu-system-x86_64 >/dev/null 2>&1 || need="$need qemu-system-x86"
dpkg -s busybox-static >/dev/null 2>&1 || need="$need busybox-static"
command -v lstopo >/dev/null 2>&1 || need="$need hwloc-nox"
if [ -n "$need" ]; then
	echo "numavm/deps.sh: installing$need"
	# shellcheck disable=SC2086
	install $need
fi

if ls "$cache"/kernel/boot/vmlinuz-* >/dev/null 2>&1; then
	exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "numavm/deps.sh: no apt-get to fetch a kernel"; exit 0; }
pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
name=$(pkg)
if [ -z "$name" ]; then
	update
	name=$(pkg)
fi
if [ -z "$name" ]; then
	echo "numavm/deps.sh: apt-cache knows no linux-image-amd64; cannot fetch a guest kernel"
	exit 0
fi
mkdir -p "$cache/deb"
echo "numavm/deps.sh: fetching $name and unpacking it into $cache/kernel"
(cd "$cache/deb" && apt-get download -q "$name" >/dev/null 2>&1) || { update; (cd "$cache/deb" && apt-get download -q "$name" >/dev/null 2>&1); } ||
	{ echo "numavm/deps.sh: apt-get download $name failed"; exit 0; }
rm -rf "$cache/kernel.tmp"
dpkg-deb -x "$cache"/deb/"$name"_*.deb "$cache/kernel.tmp" && rm -rf "$cache/kernel.tmp/lib" && mv "$cache/kernel.tmp" "$cache/kernel"
rm -rf "$cache/deb" "$cache/kernel.tmp"
