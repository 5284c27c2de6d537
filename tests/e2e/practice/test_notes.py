"""Notes to yourself: kind words kept at the end of /setback (one tap) or with /note, given
back on a harder day, quoted exactly: after a later /setback and in /pause. At most one a day,
never the same one twice in a row, never words the crisis check was answering. They are in
/journal (deletable), in /export, and gone with /delete."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from storage.models import CRISIS_TAG, Entry
from tests.e2e.practice.support import EXPIRED, entries, forge, press_and_check_answered
from tests.harness import set_up

KEEP = "Keep these words for a harder day"
GIVEN_BACK = "Words you wrote to yourself on"
FRIEND = "It's <okay> to be tired & still care. One evening doesn't define you."
CHECK = "I can't do this anymore"


async def setback(person: EmulatedPerson, what: str, friend: str | None) -> None:
    """A whole /setback: what happened, a feeling, the friend answer (or skip), no next step."""
    await person.send(f"/setback {what}")
    await person.expect("How did it leave you feeling?")
    await person.press("Sad")
    for _ in range(3):  # the self-compassion break, in three short messages
        await person.next_message()
    asked = await person.expect("what would you say to them?")
    assert asked.button_texts() == ["Skip"]
    if friend is None:
        await person.press("Skip")
        await person.expect_edit("try next time", asked)
    else:
        await person.send(friend)
        await person.expect("try next time")
    await press_and_check_answered(person, "Skip")
    await person.expect_edit("/journal")


async def first_entry(bot: KindlingApplication, chat_id: int) -> Entry:
    """The person's only entry, once it is stored (the crisis answer goes out first)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while not (kept := await entries(bot.services.repo, chat_id)):
        assert loop.time() < deadline, "no entry was kept"
        await asyncio.sleep(0.02)
    [entry] = kept
    return entry


def quoted(person: EmulatedPerson, words: str) -> bool:
    """Whether the person was shown ``words`` back as a note, exactly and as a quote."""
    return any(
        GIVEN_BACK in (m.text or "") and f"<blockquote>{words}</blockquote>" in (m.raw_text or "")
        for m in person.messages
    )


async def test_a_kept_note_comes_back_after_the_next_setback_and_in_pause(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 3401)
    pia = emulator.person(3401, "Pia")
    await setback(pia, "I shut down when my sister called", FRIEND)
    closing = pia.messages[-1]
    assert closing.button_texts() == [KEEP, "To talk about in therapy"]
    tap = await press_and_check_answered(pia, KEEP, closing)
    assert "Kept" in str(next(a for a in pia.answered_callbacks if a["callback_query_id"] == tap))
    # The button has done its work.
    await pia.wait_for(lambda: KEEP not in closing.button_texts(), what="keep button gone")
    assert closing.button_texts() == ["To talk about in therapy"]
    # The same tap again (an old copy of the button) keeps nothing twice.
    [setback_entry] = await entries(bot.services.repo, 3401)
    await forge(pia, f"note:keep:{setback_entry.id}", closing)
    [note] = await bot.services.repo.list_notes(3401)
    assert (note.text, note.from_entry) == (FRIEND, setback_entry.id)
    assert await pia.wait_until_quiet() == []  # nothing given back yet: it is brand new

    # A second note, written any time.
    clock.advance(timedelta(days=2))
    await pia.send("/note")
    await pia.expect("say to yourself")
    await pia.send("You have come through hard weeks before.")
    await pia.expect("Kept")

    # Next hard moment: the oldest note comes back, quoted exactly (escaped, never as markup).
    clock.advance(timedelta(days=3))
    await setback(pia, "I snapped at a colleague", None)
    back = await pia.expect(GIVEN_BACK)
    assert back.text == f"{GIVEN_BACK} November 25:\n{FRIEND}"
    assert quoted(
        pia, "It's &lt;okay&gt; to be tired &amp; still care. One evening doesn't define you."
    )

    # At most one a day: /pause the same day shows the menu alone.
    await pia.send("/pause")
    menu = await pia.expect("What would help right now?")
    assert GIVEN_BACK not in (menu.text or "")
    await pia.send("/cancel")
    await pia.expect("stopped")

    # The next day, /pause brings the other note (never the same twice in a row) ...
    clock.advance(timedelta(days=1))
    await pia.send("/pause")
    menu = await pia.expect("What would help right now?")
    assert "Words you wrote to yourself on November 27:" in (menu.text or "")
    assert "You have come through hard weeks before." in (menu.text or "")
    await pia.send("/cancel")
    await pia.expect("stopped")
    # ... and the day after, the first one again.
    clock.advance(timedelta(days=1))
    await pia.send("/pause")
    menu = await pia.expect("What would help right now?")
    assert "One evening doesn't define you." in (menu.text or "")


async def test_notes_never_come_from_words_the_crisis_check_answered(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 3402)
    ros = emulator.person(3402, "Ros")
    await ros.send("/note")
    await ros.expect("say to yourself")
    await ros.send(CHECK)
    await ros.expect("Are you safe right now?")
    await ros.press("I'm safe right now")
    await ros.expect("carry on")
    kept = await ros.expect("Kept")
    assert "harder day" not in (kept.text or "")  # kept, but not promised back
    [note] = await bot.services.repo.list_notes(3402)
    assert (note.text, note.may_give_back) == (CHECK, False)

    # A setback whose words read as a crisis: the flow ends, no button keeps anything from it.
    clock.advance(timedelta(days=1))
    await ros.send("/setback I want to kill myself")
    crisis = await ros.expect("Are you safe right now?")
    assert KEEP not in crisis.button_texts()
    flagged = await first_entry(bot, 3402)
    assert CRISIS_TAG in flagged.tags
    assert EXPIRED in str((await forge(ros, f"note:keep:{flagged.id}", crisis))["text"])
    assert len(await bot.services.repo.list_notes(3402)) == 1

    # Days later, a hard moment and /pause give nothing back: the only note is not for that.
    clock.advance(timedelta(days=2))
    await ros.wait_until_quiet()
    await setback(ros, "I cancelled on my friend again", None)
    await ros.send("/pause")
    menu = await ros.expect("What would help right now?")
    assert GIVEN_BACK not in (menu.text or "")
    assert not any(GIVEN_BACK in (m.text or "") for m in ros.messages)


async def test_notes_in_the_journal_export_and_delete(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 3403)
    tam = emulator.person(3403, "Tam")
    await tam.send("/note Small steps still count.")
    await tam.expect("Kept")
    await tam.send("/note You are allowed to rest.")
    await tam.expect("Kept")

    await tam.send("/journal")
    page = await tam.expect("Nothing is kept here yet")  # no entries, but two notes
    assert page.button_texts() == ["Notes to yourself (2)"]
    await press_and_check_answered(tam, "Notes to yourself (2)", page)
    shown = await tam.expect_edit("Notes to yourself", page)
    assert "You are allowed to rest." in (shown.text or "")
    assert (shown.text or "").index("allowed to rest") < (shown.text or "").index("Small steps")
    await press_and_check_answered(tam, "Delete note 1", shown)
    ask = await tam.expect_edit("Delete this note?", shown)
    assert "You are allowed to rest." in (ask.text or "")
    await press_and_check_answered(tam, "Yes, delete it", ask)
    after = await tam.expect_edit("Notes to yourself", ask)
    assert "allowed to rest" not in (after.text or "")
    [left] = await bot.services.repo.list_notes(3403)
    assert left.text == "Small steps still count."

    await tam.send("/export")
    await tam.expect("everything you've kept")
    document = await tam.next_message()
    assert document.file_bytes is not None
    exported = json.loads(document.file_bytes.decode("utf-8"))
    assert [n["text"] for n in exported["notes"]] == ["Small steps still count."]
    await tam.wait_until_quiet()

    await tam.send("/delete")
    ask = await tam.expect("erase everything you've kept")
    await tam.press("Yes, erase everything")
    await tam.wait_for(lambda: ask.edits == 1)
    await tam.press("Erase for good")
    await tam.wait_for(lambda: ask.edits == 2)
    assert "Everything I kept is erased" in (ask.text or "")
    assert await bot.services.repo.list_notes(3403) == []
