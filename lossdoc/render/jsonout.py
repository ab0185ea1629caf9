"""JSON output: one document on stdout. NaN and inf become null (JSON has no NaN)."""

from __future__ import annotations

import dataclasses
import json
import math
from enum import Enum
from typing import Any


def plain(obj: Any) -> Any:
    """Convert results (dataclasses, numpy scalars and arrays, enums, tuples) to JSON-ready values."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if hasattr(obj, "to_json"):
        return plain(obj.to_json())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return plain(dataclasses.asdict(obj))
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if hasattr(obj, "tolist"):  # numpy scalar or array
        return plain(obj.tolist())
    return str(obj)


def dumps(obj: Any) -> str:
    return json.dumps(plain(obj), indent=2, allow_nan=False)
