"""Answering the daily reflection: the next free text is kept with the prompt it answers."""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from bot.content.library import Prompt
from handlers.entry_text import MAX_ENTRY_CHARS
from sandbox.emulator import BotApiEmulator
from storage.models import DeliveryKind, DeliveryStatus, EntryKind
from tests.e2e.practice.support import entries, send_prompt

STRAY = "I'm here."  # the start of the catch-all's gentle pointer


def a_prompt(bot: KindlingApplication, theme: str) -> Prompt:
    return next(p for p in bot.services.library.prompts if p.theme == theme)


def acknowledgements(bot: KindlingApplication, theme: str) -> tuple[str, ...]:
    return bot.services.library.themes[theme].acknowledgements


async def test_the_answer_is_kept_and_acknowledged_in_the_prompts_theme(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo, clock = bot.services.repo, bot.services.clock
    prompt = a_prompt(bot, "active_listening")
    sent_at = clock.now()
    await send_prompt(repo, 6001, prompt.id, sent_at)
    bot.services.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]

    ana = emulator.person(6001, "Ana")
    await ana.send("I wanted to fix it for her. I kept quiet & just listened.")
    reply = await ana.expect("/journal")
    assert any(line in reply.text for line in acknowledgements(bot, "active_listening"))
    other_themes = [t for t in bot.services.library.themes if t != "active_listening"]
    for theme in other_themes:
        assert not any(line in reply.text for line in acknowledgements(bot, theme))

    [reflection] = await entries(repo, 6001)
    assert reflection.kind is EntryKind.REFLECTION
    assert reflection.text == "I wanted to fix it for her. I kept quiet & just listened."
    assert reflection.prompt_id == prompt.id
    assert reflection.created_at == sent_at + timedelta(hours=3)

    # Answered once: the next message is just a message.
    await ana.send("thanks")
    await ana.expect(STRAY)
    assert len(await entries(repo, 6001)) == 1


async def test_the_prompt_stays_open_eighteen_hours(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo, clock = bot.services.repo, bot.services.clock
    prompt = a_prompt(bot, "grounding")
    await send_prompt(repo, 6002, prompt.id, clock.now())
    ben = emulator.person(6002, "Ben")

    clock.advance(timedelta(hours=18, seconds=1))  # type: ignore[attr-defined]
    await ben.send("my shoulders are tight")
    await ben.expect(STRAY)
    assert await entries(repo, 6002) == []

    # A prompt sent again later ("later" button) opens a fresh window for the same question.
    await send_prompt(repo, 6002, prompt.id, clock.now(), kind=DeliveryKind.PROMPT_AGAIN)
    clock.advance(timedelta(hours=17, minutes=59))  # type: ignore[attr-defined]
    await ben.send("my shoulders are tight")
    reply = await ben.expect("/journal")
    assert any(line in reply.text for line in acknowledgements(bot, "grounding"))
    [reflection] = await entries(repo, 6002)
    assert reflection.prompt_id == prompt.id


async def test_no_open_prompt_means_no_reflection(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo, clock = bot.services.repo, bot.services.clock
    cy = emulator.person(6003, "Cy")
    await cy.send("hello")
    await cy.expect(STRAY)
    # A prompt that failed to send is not waiting for an answer.
    prompt = a_prompt(bot, "boundaries")
    await send_prompt(repo, 6003, prompt.id, clock.now(), status=DeliveryStatus.FAILED)
    await cy.send("hello again")
    await cy.expect(STRAY)
    # Someone else's prompt is not this person's either.
    await send_prompt(repo, 6004, prompt.id, clock.now())
    await cy.send("and again")
    await cy.expect(STRAY)
    assert await entries(repo, 6003) == []


async def test_stickers_long_answers_commands_and_flows(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo, clock = bot.services.repo, bot.services.clock
    prompt = a_prompt(bot, "self_kindness")
    await send_prompt(repo, 6005, prompt.id, clock.now())
    dee = emulator.person(6005, "Dee")

    await dee.send_sticker()
    await dee.expect("a few typed words work best")
    await dee.send_voice()
    await dee.expect("a few typed words work best")
    await dee.send("/help")  # a command is a command, not an answer
    await dee.expect("What I can do")
    await dee.wait_until_quiet()

    # Inside a flow, text belongs to the flow.
    await dee.send("/win I made tea for myself")
    question = await dee.expect("fits it best")
    await dee.press("I was kind to myself")
    await dee.expect_edit("How connected", question)
    await dee.press("Skip")
    await dee.expect_edit("/journal", question)
    assert await dee.wait_until_quiet() == []  # answered in place, nothing else said
    [win] = await entries(repo, 6005)
    assert win.kind is EntryKind.WIN and win.prompt_id is None

    long_answer = "I let myself rest today without earning it first. " * 90
    await dee.send(long_answer)
    told = await dee.expect("longer than I can keep")
    assert str(MAX_ENTRY_CHARS) in told.text
    reply = await dee.expect("/journal")
    assert any(line in reply.text for line in acknowledgements(bot, "self_kindness"))
    reflection = (await entries(repo, 6005))[0]
    assert reflection.kind is EntryKind.REFLECTION and reflection.prompt_id == prompt.id
    assert reflection.text == long_answer.strip()[:MAX_ENTRY_CHARS].rstrip()


async def test_a_prompt_no_longer_in_the_library_still_gets_a_kind_reply(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo, clock = bot.services.repo, bot.services.clock
    await send_prompt(repo, 6006, "retired_prompt", clock.now())
    eli = emulator.person(6006, "Eli")
    await eli.send("Something I noticed today")
    reply = await eli.expect("today's question")
    assert "/journal" in reply.text
    [reflection] = await entries(repo, 6006)
    assert reflection.prompt_id == "retired_prompt"
