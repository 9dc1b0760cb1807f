"""The example of docs/python.md runs as written."""

import os
import re

from conftest import SOURCE_DIR


def doc_example():
    with open(os.path.join(SOURCE_DIR, "docs", "python.md"), encoding="utf-8") as f:
        doc = f.read()
    section = doc.split("## Example", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no ```python block in the Example section"
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
