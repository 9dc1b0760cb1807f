#!/usr/bin/env python3
"""Writes the seed corpora of the fuzzers (docs/testing.md).

usage: fuzz/make_corpus.py OUT_DIR

OUT_DIR/spec: every zoo/**/*.mlir spec, every `// -----` case of the
dialect's lit tests (test/Dialect/Attn), whose invalid cases lead the
spec_fuzzer straight into the verifiers' error paths, and the fixed findings
of the fuzzers (test/tools/attn-run/Inputs/fuzz), so that they stay fixed.
OUT_DIR/npy: .npy files of every dtype the reader knows (float32, float16,
float64, int32, int64, int8, bool, bfloat16 stored as uint16), a
Fortran-ordered array, 0-d and empty arrays, version 2.0 and 3.0 headers,
and a few malformed images (truncated data, unclosed dict and tuple, a
shape whose byte size overflows).

Rewrites OUT_DIR's two folders from scratch; needs numpy.
"""
import io
import pathlib
import shutil
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


def spec_seeds():
    """(name, text) of each zoo spec and each lit test case."""
    for path in sorted(ROOT.glob("zoo/**/*.mlir")):
        yield "zoo_" + "_".join(path.relative_to(ROOT / "zoo").parts), path.read_text()
    for path in sorted((ROOT / "test/Dialect/Attn").glob("*.mlir")):
        for n, case in enumerate(path.read_text().split("// -----")):
            yield f"lit_{path.stem}_{n}.mlir", case
    for path in sorted((ROOT / "test/tools/attn-run/Inputs/fuzz").glob("*.mlir")):
        yield "finding_" + path.name, path.read_text()


def npy_bytes(array, version=None):
    out = io.BytesIO()
    np.lib.format.write_array(out, array, version=version)
    return out.getvalue()


def valid_arrays():
    """(name, array) of the dtypes and layouts np.save writes."""
    rng = np.random.default_rng(0)
    f32 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    yield "f32", f32
    yield "f16", f32.astype(np.float16)
    yield "f64", f32.astype(np.float64)
    yield "i32", np.arange(6, dtype=np.int32).reshape(2, 3)
    yield "i64", np.arange(-3, 3, dtype=np.int64)
    yield "i8", np.array([-128, 0, 127], dtype=np.int8)
    yield "bool", np.array([[True, False], [False, True]])
    yield "bf16_as_u16", (f32.view(np.uint32) >> 16).astype(np.uint16)
    yield "fortran_order", np.asfortranarray(f32[0])
    yield "zero_d", np.array(1.5, dtype=np.float32)
    yield "empty", np.zeros((0, 4), dtype=np.float32)


def malformed_images(f32_image):
    """(name, bytes) of images the reader must refuse."""
    yield "truncated_data.npy", f32_image[:-5]
    header_end = f32_image.index(b"\n") + 1
    text = f32_image[10:header_end].decode()
    yield "unclosed_dict.npy", f32_image.replace(b"}", b" ", 1)
    yield "unclosed_shape.npy", f32_image.replace(b")", b" ", 1)
    overflow = text.replace("(2, 3, 4)", "(4611686018427387904, 4)")
    yield "overflow.npy", f32_image[:8] + len(overflow).to_bytes(2, "little") + overflow.encode()


def write(folder, name, data):
    mode = "w" if isinstance(data, str) else "wb"
    with open(folder / name, mode) as f:
        f.write(data)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    spec_dir, npy_dir = out / "spec", out / "npy"
    for folder in (spec_dir, npy_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for name, text in spec_seeds():
        write(spec_dir, name, text)
    for name, array in valid_arrays():
        write(npy_dir, name + ".npy", npy_bytes(array))
    f32 = dict(valid_arrays())["f32"]
    write(npy_dir, "version2.npy", npy_bytes(f32, version=(2, 0)))
    write(npy_dir, "version3.npy", npy_bytes(f32, version=(3, 0)))
    for name, data in malformed_images(npy_bytes(f32)):
        write(npy_dir, name, data)
    print(f"{len(list(spec_dir.iterdir()))} spec seeds in {spec_dir}, "
          f"{len(list(npy_dir.iterdir()))} .npy seeds in {npy_dir}")


if __name__ == "__main__":
    main()
