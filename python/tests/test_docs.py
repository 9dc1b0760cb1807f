"""The examples of docs/python.md run as written."""

import os
import re

from conftest import SOURCE_DIR


def doc_example(heading="## Example"):
    """The first ```python block after `heading` in docs/python.md."""
    with open(os.path.join(SOURCE_DIR, "docs", "python.md"), encoding="utf-8") as f:
        doc = f.read()
    section = doc.split(heading + "\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no ```python block in the section {heading!r}"
    return match.group(1)


def test_doc_example_is_short():
    code = doc_example()
    assert len(code.strip().splitlines()) <= 20


def test_doc_example_runs(capsys):
    code = doc_example()
    namespace = {"__name__": "__doc_example__"}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "attn.attention" in printed and "mask_fn" in printed
    assert "tensor.extract" in printed
    assert namespace["check"].passed
    assert namespace["lse"].shape == (1, 8, 200)


def test_operand_example_runs():
    code = doc_example("### Head maps, sinks, gates, weight_mod")
    assert len(code.strip().splitlines()) <= 20
    namespace = {"__name__": "__doc_example__"}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    text = namespace["spec"].text
    for word in ("k_head_map(", "v_head_map(", "sink_logits(", "output_gate(", "weight_mod {"):
        assert word in text
    assert set(namespace["spec"].bound) == {"k_head_map", "v_head_map", "sink_logits", "sign_flip"}


def test_tile_program_example_runs(capsys):
    code = doc_example("## Compile once, run at any length")
    assert len(code.strip().splitlines()) <= 20
    namespace = {"__name__": "__doc_example__"}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    assert "tile program (any length)" in capsys.readouterr().out
    assert namespace["kernel"].tile_program
    assert namespace["out"].shape == (1, 8, 300, 64)


def test_linear_example_runs():
    code = doc_example("## Linear attention")
    assert len(code.strip().splitlines()) <= 20
    namespace = {"__name__": "__doc_example__"}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    assert "feature_map(#attn.feature_map<elu_plus_one>)" in namespace["linear"].text
    assert "decay(%decay" in namespace["ssd"].text
    assert namespace["out"].shape == namespace["y"].shape == (1, 4, 200, 64)
