"""The content check on a sentence offered to others: nothing that could point to a person (a
name, a number, a link, an @handle, an email address or a phone number), each named once; and
everyday sentences of what helped pass untouched."""

from __future__ import annotations

import pytest

from bot.offer_check import MAX_OFFER_CHARS, Problem, check_offer, tidy_offer, too_long

NAME, NUMBER, PHONE = Problem.NAME, Problem.NUMBER, Problem.PHONE
EMAIL, LINK, HANDLE = Problem.EMAIL, Problem.LINK, Problem.HANDLE

EXAMPLES: list[tuple[str, tuple[Problem, ...]]] = [
    # What helped, in everyday words: passes.
    ("Taking one slow breath before I answered gave me room to listen.", ()),
    ("On Monday I let my Mom finish her sentence before I spoke.", ()),
    ("It helped to remember I'm allowed to pause. Then I listened.", ()),
    ("“Slow down,” I told myself. It worked.", ()),
    ("Saying NO kindly, once, was enough.", ()),
    ("Two breaths and a glass of water helped.", ()),
    ("Мне помогло дышать медленно и не спешить с ответом.", ()),
    ("I went for a walk.It helped more than I expected.", ()),
    # Names of people or places.
    ("Talking it through with Sarah helped.", (NAME,)),
    ("I told Dr. Patel how I felt.", (NAME,)),
    ("My friend in Lisbon just listened.", (NAME,)),
    # Numbers.
    ("I counted to 10 before I spoke.", (NUMBER,)),
    ("After 2 years I finally said sorry.", (NUMBER,)),
    ("I waited ٣ minutes.", (NUMBER,)),  # digits of any script
    # Phone numbers, as a phone and not also as a number.
    ("Call me on +44 7700 900123 if it helps.", (PHONE,)),
    ("Text me at 555-1234.", (PHONE,)),
    ("The line at (030) 123 456 78 helped.", (PHONE,)),
    # Links, however they are written.
    ("Read more at https://example.com/calm", (LINK,)),
    ("www.calm.com has good tips.", (LINK,)),
    ("The tips on kindling.org helped.", (LINK,)),
    ("Join t.me/calmgroup for more.", (LINK,)),
    # Handles, and email addresses (which are not also handles).
    ("Follow @calmvoices for more.", (HANDLE,)),
    ("Write to someone@example.com any time.", (EMAIL,)),
    # Several at once: each named once, in a fixed order.
    ("Ask Sam on @samtalks or at 07700900123.", (NAME, PHONE, HANDLE)),
]


@pytest.mark.parametrize(("sentence", "problems"), EXAMPLES)
def test_the_content_check(sentence: str, problems: tuple[Problem, ...]) -> None:
    assert check_offer(sentence) == problems


def test_a_sentence_is_one_line_and_short() -> None:
    assert tidy_offer("  Breathing\n\n slowly   helped. ") == "Breathing slowly helped."
    assert not too_long("a" * MAX_OFFER_CHARS)
    assert too_long("a" * (MAX_OFFER_CHARS + 1))
