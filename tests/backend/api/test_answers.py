"""The kept answers are bounded by count and by size: walking pages never grows a process without end."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from backend.api.answers import Answers


def _keep(answers: Answers, key: str, size: int) -> Sequence[int]:
    async def compute() -> Sequence[int]:
        return list(range(size))

    return asyncio.run(answers.get(key, compute))


def test_kept_lists_are_bounded_by_count_and_by_items() -> None:
    answers = Answers(size=3, items=100)
    for key in ("a", "b", "c", "d"):
        _keep(answers, key, 10)
    assert answers.computed == 4 and answers.held == 30  # the oldest of four went out
    _keep(answers, "a", 10)
    assert answers.computed == 5
    _keep(answers, "d", 10)
    assert answers.computed == 5  # kept
    _keep(answers, "big", 90)  # 120 items with the three kept: the least recently used go out
    assert answers.held <= 100 and answers.computed == 6
    _keep(answers, "big", 90)
    assert answers.computed == 6
    _keep(answers, "huge", 101)  # longer than everything kept may be: answered, never kept
    _keep(answers, "huge", 101)
    assert answers.computed == 8 and answers.held <= 100
    assert len(_keep(answers, "huge", 101)) == 101
