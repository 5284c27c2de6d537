"""Each signal, in each place a person can write, gets the crisis answer at once.

Outside a flow, in /win, /setback, /reflect, as the answer to today's daily prompt and as free
text in /settings: a message with a plan, a means, a goodbye, an act already done, self-harm
now or danger from someone else is answered with care, help and "are you safe right now?",
and nothing cheerful follows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import KindlingApplication
from bot.safety import Level, load_crisis_detector
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from storage.models import DeliveryKind, DeliveryStatus
from tests.e2e.pause.support import in_flow, wait_until
from tests.harness import set_up

# One message a signal (from the development set's kind of phrasing).
SIGNALS = {
    "ideation": "i want to end my life",
    "intent": "I've made up my mind, I'm going through with it",
    "plan": "I know exactly how and when I'll do it",
    "means": "the rope is already tied to the beam",
    "act": "I already took all of them",
    "preparation": "I wrote a note for my family and gave away all my things",
    "timeframe": "tonight is the night i end it",
    "self_harm": "I'm cutting right now",
    "danger": "he hit me again and he won't let me leave",
}
FLOWS = ["outside", "win", "setback", "reflect", "prompt", "settings"]


async def enter(flow: str, person: EmulatedPerson, bot: KindlingApplication) -> None:
    """Put the person where they would be writing in ``flow``."""
    if flow == "outside":
        return
    if flow == "prompt":
        repo, clock = bot.services.repo, bot.services.clock
        prompt = bot.services.library.prompts[0]
        day = clock.now().date().isoformat()
        assert await repo.claim_delivery(
            person.chat_id, DeliveryKind.PROMPT, day, clock.now(), prompt.id
        )
        await repo.finish_delivery(
            person.chat_id, DeliveryKind.PROMPT, day, DeliveryStatus.SENT, clock.now()
        )
        clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
        return
    first_words = {
        "win": "What happened?",
        "setback": "what happened",
        "reflect": "Did you feel heard?",
        "settings": "Your settings",
    }
    await person.send(f"/{flow}")
    if flow == "reflect":
        await person.expect("A look back")
    await person.expect(first_words[flow])
    await wait_until(lambda: in_flow(bot, flow, person.chat_id), f"{flow} running")


def test_every_message_here_reads_as_a_crisis() -> None:
    detector = load_crisis_detector()
    for signal, text in SIGNALS.items():
        assessment = detector.assess(text)
        assert assessment.level is Level.CRISIS, (signal, assessment)


@pytest.mark.parametrize("flow", FLOWS)
async def test_each_signal_gets_the_crisis_answer_in(
    flow: str, emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    library = bot.services.library
    never = [c for kind in library.win_kinds for c in kind.celebrations]
    never += [part for reframe in library.reframes for part in reframe.parts]
    for n, (signal, text) in enumerate(SIGNALS.items()):
        chat_id = 7500 + FLOWS.index(flow) * 20 + n
        await set_up(bot, chat_id, country="GB")
        person = emulator.person(chat_id, signal)
        await enter(flow, person, bot)
        await person.send(text)
        reply = await person.expect("Are you safe right now?")
        body = reply.text or ""
        assert "carry it alone" in body, (flow, signal)
        assert reply.button_texts()[:3] == [
            "I'm safe right now",
            "I'm not safe",
            "I'd rather not say",
        ]
        if signal == "danger":
            abuse = library.help_for("GB").abuse[0].contact
            assert body.index(abuse) < body.index(library.help_for("GB").lines[0].contact)
        assert not any(line in body for line in never)
        if flow != "outside" and flow != "prompt":
            assert not in_flow(bot, flow, chat_id), (flow, signal)
