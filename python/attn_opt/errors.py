"""Exceptions raised by attn_opt.

* :class:`SpecError` (a ``ValueError``): the spec is invalid, or does not
  accept the given inputs. Carries the MLIR diagnostics with their location
  (``file:line:col``) in the spec text.
* :class:`ReferenceEvaluationError` (a ``SpecError`` and a
  ``RuntimeError``): ``reference()`` cannot evaluate the spec on the given
  values (a head-map entry or a capture read out of range, a division by 0).
* :class:`TraceError` (a ``TypeError``): a Python mask / score_mod /
  weight_mod function uses a construct the tracer cannot turn into the
  dialect's region form.
* :class:`CompileError` (a ``RuntimeError``): a valid spec failed to compile
  (lowering or LLVM); a bug of the compiler rather than of the spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class Diagnostic:
    """One MLIR diagnostic: severity, message and location."""

    severity: str
    message: str
    file: str = ""
    line: int = 0
    col: int = 0
    notes: List["Diagnostic"] = field(default_factory=list)

    @property
    def location(self) -> str:
        """``file:line:col`` (empty when the diagnostic has no location)."""
        if not self.file and not self.line:
            return ""
        return f"{self.file}:{self.line}:{self.col}"

    @staticmethod
    def from_dict(d: dict) -> "Diagnostic":
        return Diagnostic(
            severity=d.get("severity", "error"),
            message=d.get("message", ""),
            file=d.get("file", ""),
            line=int(d.get("line", 0)),
            col=int(d.get("col", 0)),
            notes=[Diagnostic.from_dict(n) for n in d.get("notes", [])],
        )

    def format(self, source: Optional[str] = None) -> str:
        loc = self.location
        text = f"{loc}: {self.severity}: {self.message}" if loc else \
            f"{self.severity}: {self.message}"
        if source is not None and self.line > 0:
            lines = source.splitlines()
            if self.line <= len(lines):
                line = lines[self.line - 1]
                text += "\n  " + line + "\n  " + " " * max(self.col - 1, 0) + "^"
        for note in self.notes:
            text += "\n" + note.format(source)
        return text


class SpecError(ValueError):
    """An invalid spec (MLIR diagnostics with their locations).

    Attributes:
        message: the first error's message (or a summary).
        location: ``file:line:col`` of the first error ("" if unknown).
        file, line, col: the same, split.
        diagnostics: every :class:`Diagnostic` MLIR emitted.
        source: the spec text when known (used to show the offending line).
    """

    def __init__(self, summary: str, diagnostics=None, source: Optional[str] = None):
        self.diagnostics: List[Diagnostic] = [
            d if isinstance(d, Diagnostic) else Diagnostic.from_dict(d)
            for d in (diagnostics or [])
        ]
        self.summary = summary
        self.source = source
        errors = [d for d in self.diagnostics if d.severity == "error"]
        first = errors[0] if errors else (self.diagnostics[0] if self.diagnostics else None)
        self.message = first.message if first else summary
        self.file = first.file if first else ""
        self.line = first.line if first else 0
        self.col = first.col if first else 0
        self.location = first.location if first else ""
        super().__init__(self._render())

    def with_source(self, source: str) -> "SpecError":
        """A copy (of the same class) whose message shows the offending lines
        of ``source``."""
        err = type(self)(self.summary, self.diagnostics, source)
        err.__traceback__ = self.__traceback__
        return err

    def _render(self) -> str:
        if not self.diagnostics:
            return self.summary
        return "\n".join(d.format(self.source) for d in self.diagnostics)


class ReferenceEvaluationError(SpecError, RuntimeError):
    """``reference()`` cannot evaluate the spec on the given values.

    A :class:`SpecError` located at the ``attn.attention`` op (the message
    names the region op at fault, if any). Also a ``RuntimeError``, which
    ``reference()`` raised for these before, so that existing handlers still
    catch it.
    """


class TraceError(TypeError):
    """A mask / score_mod / weight_mod function could not be traced.

    Attributes:
        construct: short name of the offending construct (e.g. ``"bool()"``).
        where: ``file:line`` of the user code that used it, when known.
    """

    def __init__(self, message: str, construct: str = "", where: str = ""):
        self.construct = construct
        self.where = where
        self.detail = message
        super().__init__(message)


class CompileError(RuntimeError):
    """A valid spec failed to compile (lowering or LLVM)."""

    def __init__(self, message: str, _unused=None):
        super().__init__(message)
