#!/usr/bin/env bash
# mpirun on this machine only: shared memory between ranks, loopback for
# the launcher, no network probing; allowed as root (CI containers run as
# root). Usage: ./mpirun-local.sh -np 2 [more mpirun options] program [args]
set -euo pipefail

# Open MPI 5 renamed the shared-memory transport vader to sm.
sm=vader
if ompi_info 2>/dev/null | grep -q 'MCA btl: sm '; then
	sm=sm
fi
root=()
if [ "$(id -u)" = 0 ]; then
	root=(--allow-run-as-root)
	export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# single_copy_mechanism none: cross-memory attach (process_vm_readv) is
# often refused inside containers; copies through shared memory always work.
exec mpirun "${root[@]}" --oversubscribe \
	--mca pml ob1 --mca btl "self,$sm" --mca "btl_${sm}_single_copy_mechanism" none \
	--mca btl_tcp_if_include lo --mca oob_tcp_if_include lo \
	"$@"
