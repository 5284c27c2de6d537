"""A week that held words that read as a crisis, as the person reads it back: a hard moment in
/week's picture and recap and in the /share PDF, never a small win, and the recap repeats their
help line instead of a reframe.

The entry is stored through the repository, as the crisis check keeps it: the kind of the flow
it was typed in (here /win) and the ``crisis_flagged`` tag.
"""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from bot.recap.phrases import recap_phrases
from sandbox.emulator import BotApiEmulator
from storage.models import CRISIS_TAG, EntryKind
from tests.harness import set_up
from tests.recap.helpers import MONDAY, add, at_local, full_week, pdf_text

BERLIN = "Europe/Berlin"
WORDS = "I can't see a way through this"


async def a_week_with_a_crisis(bot: KindlingApplication, chat_id: int) -> None:
    """The full week of tests.recap.helpers, plus words that read as a crisis typed in /win on
    Wednesday (a day that otherwise holds one reflection)."""
    await set_up(bot, chat_id, zone=BERLIN, country="GB")
    repo = bot.services.repo
    await full_week(repo, chat_id, BERLIN)
    wednesday = MONDAY + timedelta(days=2)
    await add(
        repo,
        chat_id,
        EntryKind.WIN,
        at_local(wednesday, 23, 0, BERLIN),
        tags=[CRISIS_TAG],
        text=WORDS,
    )


async def test_week_names_it_a_hard_moment_and_repeats_the_help_line(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await a_week_with_a_crisis(bot, 2101)
    library = bot.services.library
    ros = emulator.person(2101, "Ros")

    await ros.send("/week")
    photo = await ros.next_message()
    assert photo.kind == "photo"
    caption = photo.text or ""
    assert ": small wins, reflections, hard moments," in caption

    recap = await ros.expect("Your week")
    raw = recap.raw_text or ""
    # The same three small wins as without it: the words typed in /win are not one of them.
    assert "I listened without fixing: twice" in raw and "I paused before reacting: once" in raw
    assert library.win_kind("other").label not in raw
    assert "You named two hard moments here" in raw
    # Acknowledged, then the person's first help line and their emergency number.
    help_here = library.help_for("GB")
    assert recap_phrases()("recap.crisis_heard") in raw
    assert help_here.lines[0].name in raw and help_here.lines[0].contact in raw
    assert help_here.emergency in raw
    # No reframe at all (whichever one chance would have picked), and nothing that asks for
    # a next step.
    assert [p for r in library.reframes for p in r.parts if p in raw] == []
    assert [s.suggestion for s in library.social_steps if s.suggestion in raw] == []
    lowered = raw.lower().replace("\u2019", "'")
    assert "try again" not in lowered and "when you're ready" not in lowered
    assert await ros.wait_until_quiet() == []


async def test_share_pdf_names_it_a_hard_moment(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await a_week_with_a_crisis(bot, 2102)
    phrases = recap_phrases()
    tam = emulator.person(2102, "Tam")

    await tam.send("/share")
    await tam.expect("How many weeks")
    await tam.press("1 week")
    await tam.expect("your own words")
    await tam.press("Yes, include them")
    document = await tam.next_message()
    assert document.file_bytes is not None
    text = pdf_text(document.file_bytes)
    assert "Small wins: 3" in text and "Hard moments: 2" in text
    lines = text.splitlines()
    said = lines.index(WORDS)
    assert lines[said - 1].endswith(", " + phrases("share.kind_setback"))
    assert phrases("share.kind_win") not in lines[said - 1]
