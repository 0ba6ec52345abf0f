#!/bin/bash
# A/B of two rampart binaries under `rampart bench cluster`, alternating in one set so both see the
# same machine load (this machine is shared: compare medians and ratios from one run, never
# numbers from different runs). Prints each run's throughput, p50 latency and replica CPU per op,
# then the medians and the ratios B/A.
#
#   scripts/ab_cluster.sh OLD_BINARY NEW_BINARY RUNS [bench cluster options...]
#   scripts/ab_cluster.sh /tmp/rampart-base build/rampart 3 --replicas 4 --clients 12000 --duration 8 --protocol poe --auth none
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
a=$1 b=$2 runs=$3
shift 3
declare -a ops_a ops_b cpu_a cpu_b p50_a p50_b
for ((i = 1; i <= runs; i++)); do
  for side in a b; do
    bin=$a
    [ "$side" = b ] && bin=$b
    out=$("$bin" bench cluster "$@" 2>&1)
    ops=$(echo "$out" | awk '/throughput/ {print $2; exit}')
    cpu=$(echo "$out" | awk '/^ *cpu / {print $2; exit}')
    p50=$(echo "$out" | awk '/^ *latency / {print $3; exit}')
    echo "run $i $side: ${ops:-?} ops/s, p50 ${p50:-?} ms, ${cpu:-?} us/op in the replicas"
    if [ "$side" = a ]; then
      ops_a+=("${ops:-0}"); cpu_a+=("${cpu:-0}"); p50_a+=("${p50:-0}")
    else
      ops_b+=("${ops:-0}"); cpu_b+=("${cpu:-0}"); p50_b+=("${p50:-0}")
    fi
  done
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ma=$(median "${ops_a[@]}") mb=$(median "${ops_b[@]}") ca=$(median "${cpu_a[@]}") cb=$(median "${cpu_b[@]}")
la=$(median "${p50_a[@]}") lb=$(median "${p50_b[@]}")
echo "median A: $ma ops/s, p50 $la ms, $ca us/op; median B: $mb ops/s, p50 $lb ms, $cb us/op"
awk -v a="$ma" -v b="$mb" -v ca="$ca" -v cb="$cb" -v la="$la" -v lb="$lb" 'BEGIN {printf "B/A: throughput %.3f, p50 %.3f, replica CPU per op %.3f\n", (a > 0 ? b / a : 0), (la > 0 ? lb / la : 0), (ca > 0 ? cb / ca : 0)}'
