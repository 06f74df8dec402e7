#!/usr/bin/env bash
# The same FC job in-process, on 2 processes, on a dask LocalCluster (2 workers), and killed
# with SIGKILL then resumed from its checkpoint: the four JSON outputs must be byte-identical
# (issue #12; docs/statistics.md). Run time: about 30 s on 2 cores.
set -euo pipefail
out=${1:-$(mktemp -d)}
args=(-e csi-2021 -r atzori2022 -m sm -p sin2_theta_w --range 0.17:0.31:8 --toys 400 --chunk 50 --seed 3 --json)
cevns fc "${args[@]}" > "$out/local.json"
cevns fc "${args[@]}" --executor processes --workers 2 > "$out/processes.json"
cevns fc "${args[@]}" --executor dask --workers 2 > "$out/dask.json" 2> "$out/dask.log"
cevns fc "${args[@]}" --checkpoint "$out/ck" > /dev/null & pid=$!
# kill -9 as soon as a quarter of the chunks are on disk
until [ "$(ls "$out/ck" 2>/dev/null | wc -l)" -ge 16 ]; do sleep 0.05; done
kill -9 "$pid" || true; wait "$pid" 2>/dev/null || true
echo "chunks on disk after kill -9: $(ls "$out/ck" | wc -l) of 64"
cevns fc "${args[@]}" --checkpoint "$out/ck" > "$out/resumed.json"
md5sum "$out"/local.json "$out"/processes.json "$out"/dask.json "$out"/resumed.json
test "$(md5sum "$out"/*.json | cut -d' ' -f1 | sort -u | wc -l)" = 1 && echo "identical"
