"""Turns a message into the plain words the crisis signals are written in.

Pure: Unicode compatibility forms folded, case folded, curly apostrophes straightened,
contractions written out ("can't", "cant" and "cannot" all become "can not"), text-speak and
letters typed as digits read as words ("wanna", "kms", "su1c1de"), punctuation and emoji dropped.
The typo forgiveness that follows lives in ``bot.safety.typos``.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u00b4`\u2032\uff07"})
_WORD_WITH_S = re.compile(r"\b(\w+)'s\b")
_NOT_CONTRACTION = re.compile(r"\b(\w+)n't\b")
_WORD_CONTRACTIONS = {
    "can't": "can not",
    "won't": "will not",
    "shan't": "shall not",
    "ain't": "am not",
    "i'm": "i am",
    "i've": "i have",
    "i'll": "i will",
    "i'd": "i would",
    "you're": "you are",
    "they're": "they are",
    "we're": "we are",
    "they'd": "they would",
    "they'll": "they will",
    "you'd": "you would",
    "it'd": "it would",
    "would've": "would have",
    "should've": "should have",
    "could've": "could have",
}
# "she'll", "they've", "we're", "he'd": after the fixed forms above, any word can take these.
_OTHER_CONTRACTIONS = (
    (re.compile(r"\b(\w+)'ll\b"), r"\1 will"),
    (re.compile(r"\b(\w+)'ve\b"), r"\1 have"),
    (re.compile(r"\b(\w+)'re\b"), r"\1 are"),
    (re.compile(r"\b(\w+)'d\b"), r"\1 would"),
)
_IS_CONTRACTIONS = frozenset(
    {
        "it", "that", "there", "what", "he", "she", "everyone", "everybody", "nobody",
        "someone", "somebody", "life", "everything", "nothing", "who", "this", "tonight",
        "today", "tomorrow", "here", "where", "how", "when",
    }
)  # fmt: skip
# Words written without their apostrophe, and common text-speak, as the words they stand for.
_TOKEN_EXPANSIONS = {
    "cant": "can not",
    "cannot": "can not",
    "cnt": "can not",
    "wont": "will not",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "shouldnt": "should not",
    "havent": "have not",
    "hasnt": "has not",
    "hadnt": "had not",
    "aint": "am not",
    "im": "i am",
    "ive": "i have",
    "youre": "you are",
    "theyre": "they are",
    "theyd": "they would",
    "its": "it is",
    "thats": "that is",
    "theres": "there is",
    "whats": "what is",
    "itll": "it will",
    "thatll": "that will",
    "youll": "you will",
    "theyll": "they will",
    "itd": "it would",
    "tonights": "tonight is",
    "everythings": "everything is",
    "nothings": "nothing is",
    "todays": "today is",
    "sewerslide": "suicide",
    "everyones": "everyone is",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "tryna": "trying to",
    "u": "you",
    "ur": "your",
    "ppl": "people",
    "rn": "right now",
    "kms": "kill myself",
    "kmss": "kill myself",
    "ctb": "catch the bus",
    "kys": "kill yourself",
    "ded": "dead",
    "tonite": "tonight",
    "ily": "i love you",
    "thru": "through",
    "fr": "for real",
    "frfr": "for real",
    "bday": "birthday",
    "b day": "birthday",
    "oded": "overdosed",
    "odd": "odd",
    "hes": "he is",
    "shes": "she is",
    "ilysm": "i love you so much",
    "ilu": "i love you",
    "luv": "love",
    "thx": "thanks",
    "ty": "thank you",
    "cya": "see you",
    "yall": "you all",
    "2nite": "tonight",
    "2night": "tonight",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrrw": "tomorrow",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "idk": "i do not know",
    "idc": "i do not care",
    "idw": "i do not want",
    "dnt": "do not",
    "ima": "i am going to",
    "imma": "i am going to",
    "finna": "going to",
    "bout": "about",
    "abt": "about",
    "w": "with",
    "pls": "please",
    "plz": "please",
    "sh": "self harm",
    "od": "overdose",
    "oding": "overdosing",
    "sui": "suicide",
    "unalive": "unalive",
    "n": "and",
    "r": "are",
    "y": "why",
    "b4": "before",
    "gf": "girlfriend",
    "bf": "boyfriend",
    "mum": "mum",
}
# "ill" and "id" typed for "I'll" and "I'd" ("ill be gone by friday", "id rather be dead"): read
# so only before a word that follows "I will" or "I would", never for "I'm ill" or "my ID".
_I_WILL_BEFORE = frozenset(
    {
        "be", "never", "just", "do", "go", "finally", "have", "see", "kill", "end", "make",
        "try", "jump", "take", "not", "miss", "always", "probably", "leave", "die", "say",
        "tell", "write", "stop", "get", "drive", "walk", "hang", "cut", "overdose", "sleep",
        "rather", "love", "like", "actually", "really", "only", "still", "definitely",
    }
)  # fmt: skip
_I_FORMS = {"ill": "i will", "id": "i would"}
# Letters typed as digits or signs ("su1c1de", "k1ll"), read back only inside a word that also
# has letters, so times and amounts ("30 pills", "12:30") keep their digits.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LEET_WORD = re.compile(r"(?=[\w@$]*[a-z])(?=[\w@$]*[0-9@$])[\w@$]+")
# Laughing faces are read as "lol" (the hyperbole context) before emoji are dropped; a smile or
# an upside-down face is not, since people in pain use them too.
_LAUGHING = re.compile("[\U0001f602\U0001f923\U0001f606\U0001f639\U0001f480]")
_NOT_WORD = re.compile(r"[^\w]+|_+")
SENTENCE_END = re.compile(r"[.,!?;:\n\u2026]+")
REPEATS = re.compile(r"(\w)\1{2,}")


def squeeze_variants(token: str) -> list[str]:
    """A word with letters typed three or more times, with each such run cut to one or two."""
    runs = list(REPEATS.finditer(token))[:3]
    if not runs:
        return []
    variants = []
    for lengths in itertools.product((2, 1), repeat=len(runs)):
        pieces, last = [], 0
        for run, length in zip(runs, lengths, strict=True):
            pieces.append(token[last : run.start()] + run.group(1) * length)
            last = run.end()
        pieces.append(token[last:])
        variants.append("".join(pieces))
    return variants


def is_swap(a: str, b: str) -> bool:
    """True when b is a with two neighbouring letters swapped."""
    if len(a) != len(b) or a == b:
        return False
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and a[diffs[0]] == b[diffs[1]]
        and (a[diffs[1]] == b[diffs[0]])
    )


def _unleet(match: re.Match[str]) -> str:
    word = match.group(0)
    if word in _TOKEN_EXPANSIONS or re.fullmatch(
        r"\d+(st|nd|rd|th|am|pm|h|hrs?|mg|ml|g|x|s)", word
    ):
        return word
    return word.translate(_LEET)


def normalise(text: str) -> list[str]:
    """The words of ``text`` in the plain form the patterns are written in (step 1 above)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    text = _LAUGHING.sub(" lol ", text)
    for contraction, expansion in _WORD_CONTRACTIONS.items():
        if contraction in text:
            text = re.sub(rf"\b{re.escape(contraction)}\b", expansion, text)
    text = _NOT_CONTRACTION.sub(r"\1 not", text)
    for ending, expansion in _OTHER_CONTRACTIONS:
        text = ending.sub(expansion, text)
    text = _WORD_WITH_S.sub(
        lambda m: f"{m.group(1)} is" if m.group(1) in _IS_CONTRACTIONS else m.group(1), text
    )
    text = re.sub(r"\bod'?e?d\b", "overdosed", text)  # "od'd", "oded", "od'ed"
    text = re.sub(r"\bsewer slide\b", "suicide", text)  # said aloud past a filter
    text = text.replace("'", "")
    text = _LEET_WORD.sub(_unleet, text)
    words: list[str] = []
    tokens = _NOT_WORD.sub(" ", text).split()
    for token, after in itertools.zip_longest(tokens, tokens[1:]):
        if token in _I_FORMS and after in _I_WILL_BEFORE:
            token = _I_FORMS[token]
        words.extend(_TOKEN_EXPANSIONS.get(token, token).split())
    return words
