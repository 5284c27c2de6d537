"""Two bot processes started on one token: Telegram answers the second one's polling with 409
Conflict. The second one says so in one line and exits, instead of both taking turns at the
updates; the first carries on answering people, through a Telegram outage too, with one
warning line per failed poll and no traceback."""

from __future__ import annotations

from pathlib import Path

from sandbox.emulator import BotApiEmulator
from tests.faults.support import stop, wait_until
from tests.harness import start_bot_process


async def test_a_second_instance_says_so_and_exits_while_the_first_carries_on(
    emulator: BotApiEmulator, db_path: Path, tmp_path: Path
) -> None:
    first = await start_bot_process(emulator, db_path)
    try:
        await emulator.wait_for_poller(timeout=30)
        # It asks Telegram only for the kinds of update it has handlers for.
        polls = [params for method, params in emulator.calls if method == "getUpdates"]
        assert {tuple(params["allowed_updates"]) for params in polls} == {
            ("message", "edited_message", "callback_query")
        }
        second = await start_bot_process(emulator, tmp_path / "other.db")
        await wait_until(lambda: second.returncode is not None, 30, "the second one exiting")
        await second.wait()
        errors = (await second.stderr.read()).decode() if second.stderr else ""
        assert second.returncode == 2
        assert errors.strip().splitlines() == [
            "kindling: another Kindling is already running with this bot token (Telegram "
            "answered 409 Conflict); stop that one first, or give this one its own token."
        ]
        assert emulator.stats["409"] >= 3

        # The first one never stopped answering.
        ivy = emulator.person(7101, "Ivy")
        await ivy.send("/help")
        await ivy.expect("/journal", timeout=15)

        # Telegram unreachable for a couple of seconds: the first one backs off and comes back.
        emulator.faults.refuse_connections(True)
        await wait_until(lambda: emulator.stats["dropped"] >= 2, 10, "two failed polls")
        emulator.faults.refuse_connections(False)
        await ivy.send("/help")
        await ivy.expect("/journal", timeout=15)
    finally:
        first_errors = await stop(first)
    assert first.returncode == 0
    assert "Traceback" not in first_errors, first_errors
    assert "polling failed type=NetworkError retrying=1" in first_errors
