"""The kinds ``-m`` picks from (tests/conftest.py: KINDS) name tests that exist: a file or a
test renamed or moved would otherwise quietly become an ``e2e`` test, run with the fast ones."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import KINDS, kind_of
from tests.harness import ROOT


def functions_in(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


@pytest.mark.parametrize("place", [place for _, places in KINDS for place in places])
def test_every_place_named_is_there(place: str) -> None:
    path, _, name = place.partition("::")
    assert (ROOT / path).exists(), place
    if name:
        assert name in functions_in(path), place


def test_each_test_has_the_kind_of_its_place() -> None:
    assert kind_of("tests/unit/test_timecalc.py::test_x") == "unit"
    assert kind_of("tests/storage/test_inbox.py::test_x[postgres]") == "unit"
    assert kind_of("tests/faults/test_standby.py::test_x[sqlite]") == "process"
    assert kind_of("tests/sandbox_web/test_browser.py::test_x") == "browser"
    assert kind_of("tests/e2e/test_onboarding.py::test_x[sqlite]") == "e2e"
    assert kind_of("tests/unit/test_settings.py::test_bad_settings_give_one_clear_line[a]") == (
        "process"
    )
    assert kind_of("tests/unit/test_settings.py::test_bad_settings_give_one_clear_linear") == (
        "unit"
    )
