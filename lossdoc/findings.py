"""Findings: the unit of a report. Each is one claim with the numbers behind it and what to do."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    PROBLEM = "problem"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "problem": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    analyzer: str
    severity: Severity
    title: str  # one line, with the numbers in it
    evidence: dict[str, Any] = field(default_factory=dict)  # JSON scalars only
    advice: str = ""
    steps: tuple[int, int] | None = None  # the span of steps the finding is about

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["severity"] = self.severity.value
        out["steps"] = list(self.steps) if self.steps else None
        return out
