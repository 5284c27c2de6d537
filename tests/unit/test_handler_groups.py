"""The handler groups: one enum, the table in docs/architecture.md, and what is registered agree."""

from __future__ import annotations

import re
from pathlib import Path

from telegram.ext import Application, DictPersistence

from handlers import register_handlers
from handlers.groups import HandlerGroup

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
ROW = re.compile(r"^\| (-?\d+) \| `([A-Z_]+)` \|", re.MULTILINE)


def documented_groups() -> list[tuple[int, str]]:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Handler groups", 1)[1].split("\n## ", 1)[0]
    return [(int(number), name) for number, name in ROW.findall(section)]


def test_the_docs_table_lists_every_group_in_order() -> None:
    assert documented_groups() == [(group.value, group.name) for group in HandlerGroup]


def test_the_groups_are_in_the_order_an_update_meets_them() -> None:
    values = [group.value for group in HandlerGroup]
    assert values == sorted(values)


def test_every_group_has_handlers_and_no_handler_sits_outside_them() -> None:
    application = Application.builder().token("123:unit").persistence(DictPersistence()).build()
    register_handlers(application)
    assert sorted(application.handlers) == [group.value for group in HandlerGroup]
