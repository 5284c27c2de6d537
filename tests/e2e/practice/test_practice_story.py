"""A day of practice, end to end: a win, a setback, a reflection, then the journal."""

from __future__ import annotations

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator
from storage.models import EntryKind
from tests.e2e.practice.support import EXPIRED, entries, forge, wait_for_state


async def test_a_handful_of_taps_each_then_find_and_delete_in_the_journal(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo = bot.services.repo
    # Set up as onboarding leaves a person (onboarding has its own stories).
    await repo.ensure_person(7001, bot.services.clock.now())
    await repo.update_person(7001, time_zone="Asia/Tokyo", onboarded=True, prompts_enabled=False)
    zoe = emulator.person(7001, "Zoe")

    await zoe.send("/win I asked my colleague how her weekend was, and listened")
    await zoe.expect("fits it best")
    await zoe.press("I listened without fixing")
    await zoe.expect("How connected")
    await zoe.press("5")
    await zoe.expect("/journal")

    await zoe.send("/setback I rolled my eyes at my brother")
    await zoe.expect("feeling")
    await zoe.press("Frustrated")
    for _ in range(3):
        await zoe.next_message()  # the self-compassion break, in three parts
    await zoe.expect("what would you say")
    await zoe.press("Skip")
    await zoe.expect("try next time")
    await zoe.press("1")
    await zoe.expect("/journal")

    await zoe.send("/reflect")
    await zoe.expect("three quick taps")
    await zoe.expect("heard")
    await zoe.press("Yes")
    await zoe.expect("interest")
    await zoe.press("Yes")
    await zoe.expect("shutting down")
    await zoe.press("Partly")
    await zoe.expect("add")
    await zoe.send("Lunch with Mia")
    await zoe.expect("real connection")

    await zoe.send("/journal")
    page = await zoe.expect("Your journal")
    assert "1 to 3 of 3" in page.text
    # 09:00 UTC on 25 November is 18:00 in Tokyo, the same day.
    assert "1. Nov 25, 2026 · Time with someone\nLunch with Mia" in page.text
    assert "2. Nov 25, 2026 · Hard moment: Frustrated\nI rolled my eyes at my brother" in page.text
    assert "3. Nov 25, 2026 · Small win: I listened without fixing\nI asked my colleague" in (
        page.text
    )

    await zoe.press("Delete 2", page)
    await zoe.wait_for(lambda: "Delete this entry?" in (page.text or ""))
    await zoe.press("Yes, delete it", page)
    await zoe.wait_for(lambda: "1 to 2 of 2" in (page.text or ""))
    assert [e.kind for e in await entries(repo, 7001)] == [EntryKind.SOCIAL, EntryKind.WIN]
    assert all(zoe.callback_answered(a["callback_query_id"]) for a in zoe.answered_callbacks)


async def test_starting_a_flow_ends_the_one_left_behind(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    # /reflect is handled in a later group than /setback, so it would never see the /setback
    # command itself: starting /setback has to end it, or it would wake up later.
    repo = bot.services.repo
    fay = emulator.person(7002, "Fay")
    await fay.send("/reflect")
    await fay.expect("three quick taps")
    heard = await fay.expect("Did you feel heard?")
    await fay.send("/setback")
    await fay.expect("what happened")
    await wait_for_state(repo, "reflect", 7002, None)
    await fay.send("I didn't reply to my friend's message for a week")
    await fay.expect("feeling")
    await fay.press("Lonely")
    for _ in range(3):
        await fay.next_message()
    await fay.expect("what would you say")
    await fay.press("Skip")
    await fay.expect("try next time")
    await fay.press("Skip")
    await fay.expect("/journal")

    assert EXPIRED in str((await forge(fay, "ref:heard:yes", heard))["text"])
    await fay.send("hi")
    await fay.expect("I'm here.")  # the gentle pointer, not a leftover question
    [setback] = await entries(repo, 7002)
    assert setback.kind is EntryKind.SETBACK
