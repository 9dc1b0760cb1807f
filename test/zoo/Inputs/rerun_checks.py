#!/usr/bin/env python3
"""Reruns every `attn-run %zoo/... --check` line of the zoo's lit files with
extra options (e.g. --split-kv 3, or --untiled), so that another
lowering or form is checked against the float64 reference on exactly the
specs, seeds and shapes the zoo tests already use (shapes that are not
multiples of the tiles, Nq != Nk, GQA, one query...). The runs of one spec
go to one attn-run with their shapes (`--shape` repeated, seeds from the
first run's on), so that the tile program compiles each spec once for all
its shapes. A run's own lowering flag is dropped for the one `extra`
implies; with --untiled in `extra`, runs that use an option of the tile
program only (its linear, selection and quantized specs give one) are
skipped: that lowering does not take them. Runs that read their test's own
files (`%t...`) are skipped too.

    rerun_checks.py [--last-per-spec] ZOO_DIR TEST_DIR OPTION...

--last-per-spec keeps one run per spec, its last check in file order (most
often its odd size: Nq != Nk, GQA, lengths that are not multiples of the
tiles), for a second form of a lowering that a full rerun already checks
on every run: 62 of the 154 runs.

With --split-kv N (N > 1), specs that have no split-KV form (attn-to-tile
builds no attn_tile.merge for them) are not rerun: their program is the
one the zoo files already check.
Prints one line per run and a summary; exits 1 if any run fails.
"""
import glob
import os
import re
import shlex
import subprocess
import sys

RUN = re.compile(r"^// RUN: attn-run %zoo/(\S+)\s+(.*?)\s*\|\s*FileCheck")
LOWERINGS = ("--untiled", "--tile-program")
TILE_PROGRAM_ONLY = ("--tile-program", "--split-kv", "--linear-chunk",
                     "--portable-tiles", "--int8-dot")


def without_options(args, extra):
    """`args` less their lowering flag and the options `extra` sets (with
    their value where `extra` gives one), so that no option is given twice
    and no two lowerings are asked for."""
    valued = {extra[i] for i in range(len(extra) - 1)
              if extra[i].startswith("--") and not extra[i + 1].startswith("--")}
    kept, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in LOWERINGS or a in extra and a.startswith("--"):
            skip = a in valued
        else:
            kept.append(a)
    return kept


def main():
    argv = sys.argv[1:]
    last_per_spec = argv[:1] == ["--last-per-spec"]
    if last_per_spec:
        argv = argv[1:]
    zoo, tests, extra = argv[0], argv[1], argv[2:]
    other_lowering = "--untiled" in extra
    runs = []
    for path in sorted(glob.glob(os.path.join(tests, "*.mlir"))):
        with open(path) as f:
            for line in f:
                m = RUN.match(line)
                if m and "--check" in m.group(2).split():
                    words = shlex.split(m.group(2))
                    # Runs that read files of their own test (%t...) need
                    # its earlier RUN lines: skipped.
                    if any("%" in w for w in words):
                        continue
                    if other_lowering and any(
                            w.split("=")[0] in TILE_PROGRAM_ONLY for w in words):
                        continue
                    args = without_options(words, extra)
                    runs.append([os.path.join(zoo, m.group(1))] + args)
    if last_per_spec:
        runs = list({args[0]: args for args in runs}.values())
    runs = without_unchanged_programs(runs, extra)
    failed = 0
    for group in grouped(runs):
        cmd = ["attn-run"] + group + extra
        proc = subprocess.run(cmd, capture_output=True, text=True)
        out = proc.stdout + proc.stderr
        shapes = max(1, group.count("--shape"))
        ok = (proc.returncode == 0 and out.count("PASS") >= shapes and
              "FAIL" not in out)
        verdict = "ok" if ok else "FAILED"
        print(f"{verdict}: {' '.join(cmd[1:])}")
        if not ok:
            failed += shapes
            print(out)
    print(f"{len(runs) - failed} of {len(runs)} runs passed")
    return 1 if failed or not runs else 0


def without_unchanged_programs(runs, extra):
    """With --split-kv N > 1 in `extra`, the runs whose spec has no split-KV
    form (selections, two-pass and affine forms, linear attention: attn-to-tile
    builds the same program as without the option, and the zoo files already
    run it on the same seeds and shapes) are left out, each named once."""
    if "--split-kv" not in extra:
        return runs
    splits = extra[extra.index("--split-kv") + 1]
    if int(splits) <= 1:
        return runs
    split_form = {}
    kept = []
    for args in runs:
        spec = args[0]
        if spec not in split_form:
            proc = subprocess.run(
                ["attn-opt", spec, f"--attn-to-tile=split-kv={splits}"],
                capture_output=True, text=True)
            # A spec attn-to-tile does not take is rerun: attn-run reports it.
            split_form[spec] = (proc.returncode != 0 or
                                "attn_tile.merge" in proc.stdout)
            if not split_form[spec]:
                print(f"skipped, no split-KV form: {spec}")
        if split_form[spec]:
            kept.append(args)
    return kept


def grouped(runs):
    """Runs of one spec with the same options but --random and --shape, as
    one attn-run per spec with its shapes repeated (`default` where a run
    gives none) and the first run's seed: with --tile-program one
    shape-generic compilation serves them all."""
    groups = {}
    for args in runs:
        rest, seed, shape = [], None, "default"
        i = 0
        while i < len(args):
            if args[i] in ("--random", "--shape") and i + 1 < len(args):
                if args[i] == "--random":
                    seed = args[i + 1]
                else:
                    shape = args[i + 1]
                i += 2
            else:
                rest.append(args[i])
                i += 1
        if seed is None:  # not a random run: as it is
            groups[tuple(args)] = (list(args), None, [])
            continue
        key = tuple(rest)
        groups.setdefault(key, (rest, seed, []))[2].append(shape)
    for rest, seed, shapes in groups.values():
        if seed is None:
            yield rest
        else:
            yield rest + ["--random", seed] + [
                w for shape in shapes for w in ("--shape", shape)]


if __name__ == "__main__":
    sys.exit(main())
