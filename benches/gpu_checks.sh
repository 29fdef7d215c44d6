#!/usr/bin/env bash
# Every device measurement in one call on a GPU machine. Build both release binaries and pack them here:
#   cargo build --release && ../shared/gpu/pack.sh   (the workplace's packer: sigmascope, the Vulkan loader, run.sh)
#   strip -o .gpu/sigmascope-bench target/release/sigmascope-bench && xz -f .gpu/sigmascope-bench
# then run `bash benches/gpu_checks.sh` there with `.gpu/` carried. Each figure lands as JSON (or a line of
# timings) under $OUT; a command that fails or runs past its limit leaves its error in its file and
# the next one runs. The limits add up to under nine minutes, inside one call's ten.
set -u
source .gpu/run.sh
out=${OUT:-/tmp/gpu_checks}
mkdir -p "$out"
s=$SIGMASCOPE
# The benchmarks' own binary, unpacked beside sigmascope (sample-run times the sigmascope it finds there).
b=$(dirname "$s")/sigmascope-bench
xz -dc .gpu/sigmascope-bench.xz >"$b" && chmod +x "$b"
structure=tests/data/large/1ffk.cif.gz
check() {
  local name=$1 limit=$2
  shift 2
  echo "== $name" >&2
  timeout "$limit" "$@" >"$out/$name.json" 2>"$out/$name.err"
  echo "$name: exit $?" >>"$out/summary.txt"
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/device.txt" 2>&1
# The step from 1k to 4M atoms, with the PyTorch (CUDA) and NumPy peers.
check sampler_step 150 "$b" sampler-step --atoms 1000,10000,100000,1000000,4000000 --steps 50
# Every kernel of the step at 1M atoms timed by cubecl's profiler (timestamp queries), with the
# WGSL it compiled: totals per kernel in kernel_profile.txt, the raw log beside it.
CUBECL_DEBUG_LOG="$out/cubecl_step.log" CUBECL_DEBUG_OPTION=profile \
  timeout 30 "$b" sampler-step --atoms 1000000 --steps 10 --gpu-only \
  >"$out/profiled_step.json" 2>"$out/profiled_step.err"
echo "profiled_step: exit $?" >>"$out/summary.txt"
bash benches/kernel_profile.sh "$out/cubecl_step.log" >"$out/kernel_profile.txt" 2>&1
# Whether this GPU's burn reduction over a long axis is right (it was not on lavapipe past ~2e5).
check reductions 20 "$b" reductions --atoms 100000,200000,1000000,4000000
# The noise table on 1FFK, CPU backend and GPU in one run.
check noise_table 60 "$b" noise-table "$structure" --runs 3
# A whole sample run on 1FFK (64k atoms, Boltz-2, 200 steps), GPU then CPU, whole process.
for device in gpu cpu; do
  start=$(date +%s%N)
  timeout 60 "$s" sample "$structure" --preset boltz2 --steps 200 --json --device "$device" \
    >"$out/sample_$device.json" 2>"$out/sample_$device.err"
  echo "sample $device: exit $? in $((($(date +%s%N) - start) / 1000000)) ms" >>"$out/summary.txt"
done
# Upload-or-select and draw at 1280x720, up to 4M atoms.
check render 60 "$b" render --atoms 10000,100000,1000000,4000000 --frames 20
# Training steps and residue attention on the GPU.
check training 60 "$b" training --files 1crn,4hhb --steps 10
check learned_attention 40 "$b" learned-attention --residues 1000,5000,20000 --gpu
cat "$out/summary.txt"
