"""The crisis detector: every way of saying it we know of is caught; ordinary heavy words mostly
are not.

Recall must be complete: each phrasing in CRISIS is caught. Precision is measured, not demanded:
the false-alarm rate over ORDINARY is printed and kept under a ceiling, because a false alarm
costs a kind message with a helpline, while a miss could cost far more.

Both lists grew in rounds: phrasings written before the patterns were, then batches written
without looking at the patterns. The later crisis batches were each missed in part at first
(about half, then a third), so the list is a floor, not proof of coverage: when a real message
is missed, add it here and a pattern to crisis_phrases.toml.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.safety import CrisisDetector, CrisisPhrasesError, Level, load_crisis_detector, normalise
from bot.safety.crisis import PHRASES_FILE

# Direct and indirect, with typos, missing or curly apostrophes, capitals, extra words.
CRISIS = [
    # direct
    "I want to kill myself",
    "i'm going to kill myself tonight",
    "I am thinking about killing myself",
    "I've been having suicidal thoughts",
    "i feel suicidal",
    "I keep thinking about suicide",
    "I want to die",
    "i just want to die",
    "I WANT TO DIE",
    "Honestly I just really want to die",
    "I wish I was dead",
    "I wish I were dead",
    "I'd be better off dead",
    "I want to end my life",
    "I'm going to end it all",
    "I want to end it",
    "I'm thinking of ending things",
    "I'm going to take all my pills",
    "I've been saving up pills",
    "thinking about jumping off a bridge",
    "I want to jump in front of a train",
    "I want to hang myself",
    "I'm going to overdose",
    "I wrote a goodbye letter to my family",
    "I have the rope ready",
    # indirect
    "I can't do this anymore",
    "i cant do this any more",
    "I can’t do this anymore.",
    "I CANNOT DO THIS ANYMORE!!!",
    "I just can't anymore",
    "I can't go on",
    "i can't go on like this",
    "I can't take it anymore",
    "I can't keep going",
    "everyone would be better off without me",
    "Everyone would be so much better without me",
    "the world would be better off without me in it",
    "my family would be better off if I was gone",
    "nobody would even notice if I disappeared",
    "no one would miss me",
    "No one would care if I died",
    "I'm just a burden to everyone",
    "I feel like such a burden",
    "there's no point going on",
    "no point going on",
    "theres no point in living anymore",
    "what's the point of anything",
    "What is even the point of living",
    "I don't want to be alive anymore",
    "i dont want to live anymore",
    "I don't want to be here anymore",
    "I don't want to wake up tomorrow",
    "I hope I don't wake up",
    "I want to go to sleep and never wake up",
    "I want to disappear",
    "i wish i could just disappear forever",
    "I wish I had never been born",
    "i wish i didnt exist",
    "I'm tired of living",
    "I'm so tired of being alive",
    "I have nothing left to live for",
    "life isn't worth living",
    "I just want it all to end",
    "I want everything to stop",
    "I give up on life",
    "this is goodbye",
    "I won't be here tomorrow",
    "you won't hear from me again",
    # self-harm
    "I've been hurting myself",
    "i have been hurting my self again",
    "I cut myself last night",
    "I've been cutting again",
    "I want to hurt myself",
    "I self-harm when it gets bad",
    "i burned myself on purpose",
    "I keep scratching myself until I bleed",
    # immediate danger
    "I don't feel safe at home",
    "I'm not safe right now",
    "he said he would kill me",
    "my partner hits me",
    "I'm scared he's going to hurt me",
    # typos, text-speak, no apostrophes, extra words
    "i wnat to die",
    "I want to kil myself",
    "i want to kill myslef",
    "thinking about sucide",
    "im suicdal",
    "I want to dissapear",
    "i wanna die",
    "i wanna diiiie",
    "kms",
    "i think i might kms",
    "Everyone would be better of without me",
    "i cant do this anymroe",
    "Im gonna end it tonight",
    "i reallly reallly want to kill myself",
    "I, honestly, just, want to die.",
    "ive been hurting myself",
    "i dont see the point in living anymore",
    "i    can't    do   this   anymore",
    "I can‘t go on",
    # Written as a held-out check after the patterns above passed; the misses among them
    # (about half at first) taught the file new patterns.
    "honestly i think everyone would be happier if i just wasnt around",
    "I keep thinking it would be easier to not exist",
    "sometimes I think about just ending it",
    "i dont think i can keep doing this",
    "there's really no reason for me to stay",
    "I've started hurting myself again",
    "I feel like I'm better off gone",
    "I just want the pain to end forever",
    "i have been looking up ways to die",
    "I'm done. I can't anymore.",
    "I want to go to sleep and not wake up ever",
    "what if I just stepped in front of a bus",
    "i think about death all the time",
    "Nobody needs me, I should just go",
    "I'm ready to give up on everything",
    "i cant see a way out",
    "I've been punching walls until my hands bleed",
    "I'm scared of what I might do to myself",
    "my husband is threatening me with a knife",
    "I'm not safe to be alone tonight",
    "I don't see myself being here next year",
    "I've been thinking everyone would be fine without me",
    "i keep picturing my own funeral",
    "I'm so tired I just want to stop existing",
    "I've written letters to everyone to say goodbye",
    "I can't cope anymore",
    "life has no meaning for me anymore",
    "i feel like ending it",
    "Sometimes I wish I could go to sleep forever",
    "i want to stop living",
    "i'm thinking of taking an overdose",
    "he's going to hurt me when he gets home",
    "I want to cut myself so badly",
    "i hate myself so much i want to hurt myself",
    "it's all too much, i want out",
    "I don't deserve to be alive",
    "i keep having thoughts of killing myself",
    "What's the point in me being alive",
    "I'd be doing everyone a favour if I disappeared",
    "I'm counting the pills",
    # A third held-out batch (nine of these were missed at first).
    "I relapsed and cut last night",
    "I want to go to sleep forever",
    "my thoughts keep telling me to end it",
    "i'd rather not be alive",
    "i dont wanna be here no more",
    "i feel like dying",
    "i want to stop breathing",
    "nothing matters anymore and i want out",
    "the voices tell me to hurt myself",
    "my dad beats me",
    "i'm afraid my boyfriend will kill me",
    "im so done with life",
    "i wanna end it",
    "i'm so tired of being here",
    "I can't see a future for me",
    "i don't want to exist",
    "i want to be gone",
    "Everybody would be better off if I wasn't here",
    "I'm thinking of killing myself",
    "there's nothing left for me",
    "I should just disappear",
    "I'm a waste of space and should die",
    "i want to die so bad",
    "it would be so easy to just end it",
    "I took too many pills",
    "I'm going to jump",
    "he'll kill me if I leave",
    "she’ll hurt me again when she's drunk",
]

# Everyday sentences with heavy words. Some are genuinely ambiguous and are flagged on purpose
# (marked "ambiguous"); they are counted as false alarms here all the same.
ORDINARY = [
    "this deadline is killing me",
    "I died laughing",
    "I could kill for a coffee",
    "my feet are killing me",
    "I'm dead tired",
    "I'm so dead if my boss finds out",
    "I'm dying to see that movie",
    "my phone battery died",
    "my phone is dead",
    "kill the lights please",
    "we killed it at the presentation",
    "just killing time before the bus",
    "I almost died of embarrassment",
    "that joke killed me",
    "my plant died while I was away",
    "my grandmother died last year and I miss her",
    "I hurt my knee running",
    "she hurt my feelings",
    "I cut my finger cooking",
    "I need a break from everything",
    "I'm done with this project",
    "I can't wait anymore, so excited for Friday",
    "I give up on this crossword",
    "I'm tired of this weather",
    "I'm sick of my job",
    "I don't want to go to work tomorrow",
    "at the end of the day it worked out",
    "the end of the movie was sad",
    "he ended things with me last month",
    "my back pain is better today",
    "I'm not suicidal, just very tired",  # ambiguous: names the word
    "we watched Suicide Squad last night",  # ambiguous: names the word
    "this traffic makes me want to die lol",  # ambiguous: hyperbole or not
    "I'd rather die than sing karaoke",  # ambiguous
    "my mum is going to kill me when she sees my grades",  # ambiguous: hyperbole or danger
    "I could sleep forever on this mattress",
    "I finally killed that spider",
    "the heat is unbearable",
    "I cried during the film",
    "I felt lonely at the party",
    "I had a panic attack on the train",
    "I hate mondays",
    "I want to disappear into a good book this weekend",  # ambiguous
    "I'm over it",
    "I burned the toast again",
    "let's end the meeting early",
    "I want to end this call soon",
    "I cut my hair short",
    "she cut me off mid-sentence",
    "I'm going to hit the gym",
    "that song hits me every time",
    "I'm drowning in emails",
    "this workout is going to kill me",  # ambiguous: shaped like a threat
    "I'd kill to have her patience",
    "my dog died two years ago",
    "I'm scared of spiders",
    "I feel unsure about my new job",
    "I'm safe at home now",
    "I took my pills this morning as usual",
    "I'm sick of waiting for the bus",
    "we're all going to die someday",
    "I'm tired but okay",
    "I lost my temper and felt awful",
    "I feel like a failure sometimes",
    "I couldn't breathe from laughing",
    "the battery's dead again",
    "life is hard sometimes but I'm trying",
    "I'm trying to live more slowly",
    "I want to live by the sea one day",
    "I don't want to go on that trip",  # ambiguous: "don't want to go on"
    "I can't keep going to that gym, it's too far",  # ambiguous
    "there's no point arguing with him",
    "I'm hurting after the breakup",
    "I hate myself for forgetting her birthday",
    "I'm going to cut back on sugar",
    "he hits the ball really hard",
    "I need some time alone",
    "I wish I could take a week off",
    "I wish I could be more patient",
    "nobody came to the meeting",
    "my family is better off financially now",
    # Added after the patterns were written, without tuning the patterns to them.
    "I felt like I was dying inside when he yelled",  # ambiguous
    "I blamed myself for the argument",
    "I was so angry I wanted to scream",
    "I just wanted the conversation to end",
    "I want it to stop raining",
    "I can't handle my sister anymore",
    "I can't stand him anymore",
    "I can't live without coffee",
    "no one would notice if I left the party early",
    "nobody would care about my opinion anyway",
    "I'm dead serious about this",
    "I felt invisible at dinner",
    "my heart was pounding and I wanted to run away",
    "I couldn't go on stage",
    "I can't go on holiday this year",
    "honestly I want to sleep for a week",
    "I want to cut ties with him",
    "I've been cutting down on coffee",
    "I started cutting my own hair",
    "I don't feel safe talking to my boss about it",  # ambiguous
    "he threatened to leave me",
    "I'm afraid he will hate me",
    "they're going to kill me if I'm late again",  # ambiguous: shaped like a threat
    "I drowned my sorrows in ice cream",
    "I'm so done with people today",
    "I'm tired of trying so hard at work",
    "my life is over if I fail this exam",  # ambiguous
    "we had to put our cat to sleep",
    "I had a dream that I died",
    "I have a knife ready for the cake",
    "I could just disappear for a while",  # ambiguous
    "the pain in my shoulder finally stopped",
    "I kept my cool when she shouted",
    "I'm scared of losing him",
    "it was a killer workout",
    "I nearly lost it at the shop",
    "my ex hurt me a lot back then",  # ambiguous: past harm
    "I was a burden to nobody today",
    "I could've died of boredom in that meeting",
    "I paused before answering and it helped",
    # Held out like the second crisis batch.
    "I went for a walk and felt a bit better",
    "my manager is driving me crazy",
    "I'm tired of cooking every night",
    "the film was about a man who wanted to die with dignity",  # ambiguous: reported speech
    "I didn't want to be there but I stayed",
    "I ended up staying home",
    "I felt hopeless during the meeting but it passed",
    "my cat scratched me",
    "I want to stop checking my phone so much",
    "I can't do this puzzle",
    "I don't want to go back to that place",
    "I told him I need space",
    "we talked about death and grief in group today",
    "I'm so tired I could die",
    "I couldn't stop crying at the wedding",
    "no one would believe how calm I stayed",
    "I'm giving up caffeine",
    "I'm afraid I'll mess it up",
    "my brother hit me with a pillow, we laughed",
    "I said goodbye to my friend at the airport",
    "I don't see myself working there next year",
    "I'm counting the days until the holiday",
    "I want out of this contract",
    "it's all too much work this week",
    "I wrote letters to my pen pals",
    "I stopped living in the past",
    "I'm taking a break from social media",
    "He gets home at six",
    "I've been thinking about my future",
    "I'd be doing everyone a favour if I brought snacks",
    # With the third crisis batch.
    "I feel like dancing",
    "I'm dying of curiosity",
    "I relapsed on sugar",
    "I'm so done with this week",
    "the voices in the choir were lovely",
    "I want to be gone by noon",
    "there's nothing left in the fridge",
    "I should just go to bed",
    "I'm thinking of quitting my job",
    "I took my vitamins",
    "I'm going to jump in the pool",
    "I can't see the screen",
    "she'll kill me if I'm late lol",  # ambiguous: shaped like a threat
]

MAX_FALSE_ALARM_RATE = 0.15


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_crisis_detector()


def test_the_lists_are_big_enough() -> None:
    assert len(CRISIS) >= 60
    assert len(ORDINARY) >= 60
    assert not set(CRISIS) & set(ORDINARY)


@pytest.mark.parametrize("text", CRISIS)
def test_every_crisis_phrasing_is_caught(detector: CrisisDetector, text: str) -> None:
    assert detector.check(text) is not None, f"missed: {text!r} -> {detector.prepare(text)!r}"


def test_false_alarm_rate_on_ordinary_sentences(detector: CrisisDetector) -> None:
    flagged = [text for text in ORDINARY if detector.matches(text)]
    rate = len(flagged) / len(ORDINARY)
    print(f"\ncrisis false alarms: {len(flagged)}/{len(ORDINARY)} = {rate:.0%}")
    for text in flagged:
        print(f"  flagged: {text}")
    assert rate < MAX_FALSE_ALARM_RATE


def test_clearly_ordinary_sentences_are_never_flagged(detector: CrisisDetector) -> None:
    """The classic idioms a person could say after a good day must never get a crisis reply."""
    for text in ORDINARY[:20]:
        assert not detector.matches(text), text


def test_normalising_handles_apostrophes_contractions_and_punctuation() -> None:
    for text in ("I can't", "i cant", "I can’t", "I CANNOT", "i can‘t!!!", "I can`t"):
        assert normalise(text) == ["i", "can", "not"], text
    assert normalise("I'm... fine; really?") == ["i", "am", "fine", "really"]
    assert normalise("don’t  WANNA") == ["do", "not", "want", "to"]
    assert normalise("she'll they've we’re he'd") == [
        "she", "will", "they", "have", "we", "are", "he", "would"
    ]  # fmt: skip
    assert normalise("🙂 ok 🙂") == ["ok"]
    assert normalise("") == []


def test_a_match_names_the_rule_never_the_text(detector: CrisisDetector) -> None:
    assessment = detector.assess("everyone would be better off without me")
    assert assessment.level is Level.CRISIS
    assert assessment.signals == {"ideation"}
    assert "everyone would" not in repr(assessment)


def test_empty_and_odd_input_is_not_a_crisis(detector: CrisisDetector) -> None:
    for text in ("", "   ", "!!!", "🙂", "12:30", "a" * 4000):
        assert detector.check(text) is None


def test_a_long_message_is_checked_quickly(detector: CrisisDetector) -> None:
    # A full-length Telegram message of ordinary words, then one line at the very end.
    filler = " ".join(f"word{i} and some ordinary text about my day" for i in range(400))
    text = filler[:3900] + " I can't do this anymore"
    started = time.perf_counter()
    assert detector.matches(text)
    assert time.perf_counter() - started < 0.5


def test_every_example_in_the_file_is_caught(detector: CrisisDetector) -> None:
    import tomllib

    doc = tomllib.loads(PHRASES_FILE.read_text("utf-8"))
    levels = {"crisis": Level.CRISIS, "check": Level.CHECK, "distress": Level.DISTRESS}
    examples = [
        (e, levels[p["level"]], p.get("after_alarm", False))
        for p in doc["signal"]
        for e in p["examples"]
    ]
    assert len(examples) >= 40
    assert all(detector.assess(e, after_alarm=a).level >= level for e, level, a in examples)
    idioms = [e for p in doc["idiom"] for e in p["examples"]]
    assert idioms and not any(detector.matches(e) for e in idioms)


RULE = 'id = "x"\nsignal = "ideation"\nlevel = "crisis"\n'


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (f'[[signal]]\n{RULE}match = ["{{nope}} die"]\nexamples = ["x"]', "nope"),
        (
            '[[signal]]\nid = "x"\nsignal = "sad"\nlevel = "crisis"\n'
            'match = ["die"]\nexamples = ["die"]',
            "signal",
        ),
        (
            '[[signal]]\nid = "x"\nsignal = "ideation"\nlevel = "loud"\n'
            'match = ["die"]\nexamples = ["die"]',
            "level",
        ),
        (f'[[signal]]\n{RULE}match = ["(die"]\nexamples = ["die"]', "("),
        (f'[[signal]]\n{RULE}match = ["Can\'t"]\nexamples = ["x"]', "plain"),
        (f'[[signal]]\n{RULE}match = ["... die"]\nexamples = ["die"]', "..."),
        (f'[[signal]]\n{RULE}match = ["zebra"]\nexamples = ["a cat"]', "cat"),
        (
            f'[words]\na = ["{{a}}"]\n[[signal]]\n{RULE}match = ["{{a}}"]\nexamples = ["x"]',
            "itself",
        ),
        (
            f'[[signal]]\n{RULE}match = ["zebra"]\nexamples = ["zebra"]\n'
            '[[idiom]]\nid = "y"\nmatch = ["zebra crossing"]\nexamples = ["a zebra"]',
            "zebra",
        ),
        ("[[signal]]\nid = 3", "id"),
        ('[[pattern]]\nid = "x"', "unknown sections"),
        ("not toml [", "crisis"),
    ],
)
def test_a_broken_phrase_file_is_refused_with_a_clear_message(
    tmp_path: Path, broken: str, problem: str
) -> None:
    path = tmp_path / "crisis.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CrisisPhrasesError) as caught:
        load_crisis_detector(path)
    assert problem in str(caught.value)
