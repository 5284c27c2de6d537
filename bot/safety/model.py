"""A small learned reader behind the rules: words and pairs of words, by logistic regression.

The rules in crisis_phrases.toml are precise but only know the phrasings someone wrote down;
measured on batches of phrasings nobody had seen, a model learned from the development sets
generalised much better (docs/safety.md). So a message the rules let through is also scored
here, and a high score gets the direct question ("are you safe right now?"), never the help
lines on its own. Its features are words, word pairs and pairs with one word between them
("took _ pills" for "took all pills", "took my pills"), which left-out batches showed to
carry over to unseen wording a little better than pairs alone.

The model is trained offline by ``python -m bot.safety.train`` (scikit-learn, the "train" extra)
from the development sets, and shipped as ``bot/content/crisis_model.json``: each feature's
inverse document frequency and weight, so scoring here needs no scikit-learn (it would cost the
bot some 80 MB). It reproduces scikit-learn's TfidfVectorizer (over ``features``, sublinear tf,
l2 norm) and LogisticRegression exactly; tests/unit/test_crisis_model.py holds it to that.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

MODEL_FILE = Path(__file__).resolve().parent.parent / "content" / "crisis_model.json"


def features(words: list[str]) -> Counter[str]:
    """Words, word pairs, and pairs with one word skipped ("a _ b"; the prepared words never
    hold "_")."""
    counts: Counter[str] = Counter(words)
    counts.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    counts.update(f"{a} _ {b}" for a, b in zip(words, words[2:], strict=False))
    return counts


@dataclass(frozen=True, slots=True)
class TextModel:
    """Inverse document frequencies and weights by feature, an intercept and a threshold."""

    idf: dict[str, float]
    weight: dict[str, float]
    intercept: float
    threshold: float

    def probability(self, words: list[str]) -> float:
        """How likely the words are to be a crisis message, from 0 to 1."""
        values = {
            feature: (1.0 + math.log(count)) * self.idf[feature]
            for feature, count in features(words).items()
            if feature in self.idf
        }
        norm = math.sqrt(sum(v * v for v in values.values()))
        score = self.intercept
        if norm:
            score += sum(v * self.weight[f] for f, v in values.items()) / norm
        return 1.0 / (1.0 + math.exp(-score))

    def flags(self, words: list[str]) -> bool:
        return self.probability(words) >= self.threshold


def load_model(path: Path = MODEL_FILE) -> TextModel | None:
    """The shipped model, or None when there is none (the rules still run on their own)."""
    if not path.exists():
        return None
    doc = json.loads(path.read_text("utf-8"))
    return TextModel(
        idf={f: float(v[0]) for f, v in doc["features"].items()},
        weight={f: float(v[1]) for f, v in doc["features"].items()},
        intercept=float(doc["intercept"]),
        threshold=float(doc["threshold"]),
    )
