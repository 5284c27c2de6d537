"""Issue 16's content: a rung for sharing one small experience with someone who respects your
limits (right after meeting one person), prompts for sharing and for noticing how the other
person responded, and a self-compassion break about not comparing your pace with anyone's."""

from __future__ import annotations

from bot.content.library import SOCIAL_LADDER, load_library


def test_sharing_one_small_experience_is_the_rung_after_a_one_to_one() -> None:
    library = load_library()
    assert SOCIAL_LADDER.index("share_experience") == SOCIAL_LADDER.index("one_to_one") + 1
    [step] = [s for s in library.social_steps if s.id == "share_experience"]
    assert (
        "respects your limits" in step.suggestion and "notice how they listened" in step.suggestion
    )


def test_prompts_for_sharing_and_for_noticing_the_response() -> None:
    prompts = {p.id: p for p in load_library().prompts}
    assert prompts["social_share_small"].theme == "social_steps"
    assert "respects your boundaries" in prompts["social_share_small"].text
    assert "how did the other person respond" in prompts["social_how_they_heard"].text


def test_a_break_about_your_own_pace_meets_frustration_and_shame() -> None:
    [own_pace] = [r for r in load_library().reframes if r.id == "frustrated_own_pace"]
    assert {"frustrated", "ashamed"} <= set(own_pace.feelings)
    assert "Your pace belongs to you" in own_pace.message
