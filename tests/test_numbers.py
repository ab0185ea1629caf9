"""Count abbreviations used in reports."""

from __future__ import annotations


def test_counts_are_abbreviated_as_in_a_write_up() -> None:
    from lossdoc.numbers import abbreviate

    assert [abbreviate(n) for n in (950, 1000, 12_500, 1_250_000, 643_000_000, 7.6e9, 3e12)] == [
        "950", "1K", "12.5K", "1.25M", "643M", "7.6B", "3T"
    ]
