#!/usr/bin/env bash
# Totals per kernel of a cubecl profiling log (CUBECL_DEBUG_LOG=FILE CUBECL_DEBUG_OPTION=profile): one
# line per kernel name with its launches, total and mean time, largest total first. Usage:
#   bash benches/kernel_profile.sh FILE
set -eu
awk -F'|' '
  /^\| *[0-9.]+(ns|µs|ms|s) *\|/ {
    t = $2; gsub(/ /, "", t)
    unit = t; sub(/^[0-9.]+/, "", unit); value = t; sub(/[^0-9.].*$/, "", value)
    scale = (unit == "ns") ? 1e-3 : (unit == "µs") ? 1 : (unit == "ms") ? 1e3 : 1e6
    name = ""
    for (i = 3; i <= NF; i++) { f = $i; gsub(/^ +| +$/, "", f); if (f != "") name = name (name == "" ? "" : " | ") f }
    if (length(name) > 90) name = substr(name, 1, 87) "..."
    total[name] += value * scale; count[name]++
  }
  END {
    for (n in total) printf "%12.1f us %6d launches %10.2f us each  %s\n", total[n], count[n], total[n] / count[n], n
  }' "$1" | sort -rn
