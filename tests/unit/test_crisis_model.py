"""The crisis check's learned reader: shipped up to date, scored exactly as trained, only asks.

Training needs scikit-learn (in the test extra); the bot scores with bot.safety.model alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety import Level, load_crisis_detector
from bot.safety.model import MODEL_FILE, TextModel, features, load_model
from bot.safety.train import THRESHOLD, C, examples, sources_digest, train


@pytest.fixture(scope="module")
def shipped() -> TextModel:
    model = load_model()
    assert model is not None, f"{MODEL_FILE} is missing: run python -m bot.safety.train"
    return model


def test_the_shipped_model_is_trained_from_todays_development_sets() -> None:
    import json

    doc = json.loads(MODEL_FILE.read_text("utf-8"))
    assert doc["sources"] == sources_digest(), (
        "the development sets or crisis_phrases.toml changed: run python -m bot.safety.train"
    )
    assert doc["threshold"] == THRESHOLD


def test_scoring_here_matches_scikit_learn_and_the_shipped_weights(shipped: TextModel) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    retrained = train()
    assert set(retrained["features"]) == set(shipped.idf)
    for name, (idf, weight) in retrained["features"].items():
        assert shipped.idf[name] == pytest.approx(idf, abs=1e-6)
        assert shipped.weight[name] == pytest.approx(weight, abs=1e-6)

    # The same pipeline as training, scored by scikit-learn, against the pure-Python scorer.
    prepare = load_crisis_detector(with_model=False).prepare
    texts, labels = examples()
    vectorizer = TfidfVectorizer(
        analyzer=lambda text: list(features(prepare(text).split()).elements()),
        sublinear_tf=True,
    )
    classifier = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
    classifier.fit(vectorizer.fit_transform(texts), labels)
    sample = [*texts[::7], "hello there", "", "an unseen wordzz"]
    expected = classifier.predict_proba(vectorizer.transform(sample))[:, 1]
    for text, probability in zip(sample, expected, strict=True):
        assert shipped.probability(prepare(text).split()) == pytest.approx(probability, abs=1e-4)


def test_the_model_only_ever_asks() -> None:
    detector = load_crisis_detector()
    rules_only = load_crisis_detector(with_model=False)
    texts, _ = examples()
    asked_by_model = 0
    for text in texts:
        both, rules = detector.assess(text), rules_only.assess(text)
        if both.level != rules.level:
            asked_by_model += 1
            assert both.level is Level.CHECK and both.signals == {"model"}
            assert rules.level < Level.CHECK
    assert asked_by_model > 0  # it does something on the development sets


def test_without_a_model_the_rules_still_run(tmp_path: Path) -> None:
    assert load_model(tmp_path / "missing.json") is None
    assert load_crisis_detector(with_model=False).assess("I want to die").level is Level.CRISIS
