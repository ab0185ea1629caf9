"""Numbers that a config's comments claim ("# ~125M parameters", "max_iters = 6000  # ~1B tokens",
"# ~0.5M tokens per step", "# 2 epochs"), read so that they can be checked against what the config implies."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numbers import whole
from .params import param_claim

_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}
_NUM = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"  # 524,288 or 0.5
_TOKENS = re.compile(r"(?<![\w.,])~?\s*" + _NUM + r"\s*([kKmMbBtT]?)\s*tokens?\b", re.IGNORECASE)
_EPOCHS = re.compile(r"~?\s*(\d+(?:\.\d+)?)\s*epochs?\b", re.IGNORECASE)
# "total number of tokens be 300B", "tokens: ~1B": the count after the word
_TOKENS_AFTER = re.compile(r"\btokens?\b[^0-9~\n]{0,16}~?\s*" + _NUM + r"\s*([kKmMbBtT])(?!\w)", re.IGNORECASE)
# "the total batch size be ~0.5M": a bare count on a batch comment is tokens per step (nanoGPT's train_gpt2.py)
_BATCH_COUNT = re.compile(r"\bbatch\b[^0-9~\n]{0,24}~?\s*" + _NUM + r"\s*([kKmM])(?!\w)", re.IGNORECASE)
# "1 batch_size * 32 grad_accum * 1024 tokens = 32,768 tokens/iter": a factor of a product is no claim, its result is
_FACTOR_BEFORE = re.compile(r"(?:[*×]|\bx)\s*~?\s*$")
# "shakespeare has 301,966 tokens", "if data is 10B tokens": the data's size, not what the run trains on
_DATA_SIZE = re.compile(r"\b(has|have|contains?|data|dataset|corpus|split)\b", re.IGNORECASE)
# "1 epoch ~= 9.2 iters": what an epoch is, not how many the run makes
_EPOCH_DEFINED = re.compile(r"^\s*(?:~?=|≈|is\b)", re.IGNORECASE)
_PER = re.compile(r"\bper\s+(step|iter|iteration|update|batch)\b|/\s*(step|iter)\b", re.IGNORECASE)
MAX_COMMENT = 2_000  # characters of one comment searched (a claim is a few words; a 1 MB line is not read whole)


@dataclass(frozen=True)
class Claim:
    kind: str  # "params", "tokens_total", "tokens_per_step", "epochs"
    value: float  # an int for the counts (params, tokens), the number written for epochs
    line: int
    text: str  # the comment as written


def claims_in(comments: dict[int, str]) -> list[Claim]:
    """Every claim in the comments, in line order."""
    out: list[Claim] = []
    for line in sorted(comments):
        text = comments[line][:MAX_COMMENT]
        count = param_claim(text)
        if count is not None:
            out.append(Claim("params", count, line, text))
        skipped = False  # a count read and set aside is not looked for again by the looser patterns below
        for m in _TOKENS.finditer(text):
            clause = re.split(r"[,;()]|\band\b", text[: m.start()])[-1]
            if _FACTOR_BEFORE.search(text[: m.start()]) or _DATA_SIZE.search(clause):
                skipped = True
                continue
            value = _count(m)
            near = text[max(0, m.start() - 30): m.end() + 20]
            per = _PER.search(near) or re.search(r"\bbatch\b", near, re.IGNORECASE)  # "effective batch ~0.5M tokens"
            out.append(Claim("tokens_per_step" if per else "tokens_total", value, line, text))
        if not skipped and not any(c.line == line and c.kind.startswith("tokens") for c in out):
            for regex, kind in ((_TOKENS_AFTER, "tokens_total"), (_BATCH_COUNT, "tokens_per_step")):
                m = regex.search(text)
                if m:
                    value = _count(m)
                    per = kind == "tokens_per_step" or _PER.search(text)
                    out.append(Claim("tokens_per_step" if per else "tokens_total", value, line, text))
                    break
        for m in _EPOCHS.finditer(text):
            if not _EPOCH_DEFINED.match(text[m.end():]):
                out.append(Claim("epochs", float(m.group(1)), line, text))
    return out


def _count(m: re.Match[str]) -> int:
    """The token count a match states, '0.5' 'M' -> 500000 (an int: a count, which JSON prints without '.0')."""
    return whole(float(m.group(1).replace(",", "")) * _SCALE[m.group(2).lower()])
