#!/usr/bin/env python3
"""gemmi peer of `sigmascope-bench load FILE`: time to read a structure file (gzip included) into memory.

Prints JSON: {"peer": "gemmi 0.7.x", "atoms": model-1 atom count, "median_secs": …, "min_secs": …}.
Usage: python3 benches/gemmi_load.py FILE [--runs 5]
"""
import argparse
import json
import time

import gemmi


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    secs = []
    for _ in range(max(args.runs, 1)):
        start = time.perf_counter()
        st = gemmi.read_structure(args.file)
        secs.append(time.perf_counter() - start)
    secs.sort()
    atoms = sum(1 for _ in st[0].all()) if len(st) else 0
    print(json.dumps({
        "peer": f"gemmi {gemmi.__version__}",
        "atoms": atoms,
        "median_secs": secs[len(secs) // 2],
        "min_secs": secs[0],
        "runs": len(secs),
    }))


if __name__ == "__main__":
    main()
