"""Intent accuracy per language, by 5-fold cross-validation.

Run with the Rasa environment's Python (it has Rasa and scikit-learn):

    .venv-rasa/bin/python bench/nlu_accuracy.py          # Rasa's own `rasa test nlu --cross-validation`
    .venv-rasa/bin/python bench/nlu_accuracy.py --quick  # the same pipeline rebuilt in scikit-learn, minutes
    .venv-rasa/bin/python bench/nlu_accuracy.py --quick --show-errors vi,zh  # and what it got wrong

Rasa reports accuracy per intent; this script maps every misclassified example back to
the language file it came from, so the table is per language.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

# One misclassified example: (text, expected intent, predicted intent, language).
Error = tuple[str, str, str, str]


def load_examples() -> list[tuple[str, str, str]]:
    """Return (text, intent, language) for every training example."""
    rows = []
    for path in sorted((ROOT / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                text = line.strip().removeprefix("- ").strip()
                if text:
                    rows.append((text, block["intent"], path.stem))
    return rows


def rasa_cross_validation(folds: int) -> tuple[dict[str, float], list[Error]]:
    rows = load_examples()
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                str(ROOT / ".venv-rasa/bin/rasa"),
                "test",
                "nlu",
                "--config",
                str(ROOT / "bot/config.yml"),
                "--nlu",
                str(ROOT / "nlu"),
                "--cross-validation",
                "--folds",
                str(folds),
                "--out",
                out,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        errors = json.loads((Path(out) / "intent_errors.json").read_text(encoding="utf-8"))
    language_of = {(text, intent): language for text, intent, language in rows}
    wrong = [
        (e["text"], e["intent"], e["intent_prediction"]["name"], language_of.get((e["text"], e["intent"]), "?"))
        for e in errors
    ]
    return _accuracy(rows, Counter(language for *_, language in wrong)), wrong


def _accuracy(rows: list[tuple[str, str, str]], wrong: Counter[str]) -> dict[str, float]:
    total = Counter(language for _, _, language in rows)
    return {language: 1 - wrong[language] / total[language] for language in sorted(total)}


def _pipeline(config: dict[str, Any]) -> tuple[Any, Any]:
    """Rebuild bot/config.yml's tokenizer, featurizers and classifier from their Rasa defaults."""
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    steps = {step["name"]: step for step in config["pipeline"]}
    mirrored = "WhitespaceTokenizer" in steps and "LogisticRegressionClassifier" in steps
    assert mirrored, "--quick mirrors this pipeline only"
    tokenizer = WhitespaceTokenizer({**WhitespaceTokenizer.get_default_config(), **steps["WhitespaceTokenizer"]})
    featurizers = []
    for step in config["pipeline"]:
        if step["name"] != "CountVectorsFeaturizer":
            continue
        p = {**CountVectorsFeaturizer.get_default_config(), **step}
        # NOTE: Rasa's sentence features vectorize the tokens joined by spaces, with this token pattern.
        featurizers.append(
            CountVectorizer(
                token_pattern=r"(?u)\b\w+\b" if p["analyzer"] == "word" else None,
                strip_accents=p["strip_accents"],
                lowercase=p["lowercase"],
                ngram_range=(p["min_ngram"], p["max_ngram"]),
                min_df=p["min_df"],
                max_df=p["max_df"],
                max_features=p["max_features"],
                analyzer=p["analyzer"],
            )
        )
    c = {**LogisticRegressionClassifier.get_default_config(), **steps["LogisticRegressionClassifier"]}
    classifier = LogisticRegression(
        solver=c["solver"],
        max_iter=c["max_iter"],
        tol=c["tol"],
        random_state=c["random_state"],
        class_weight="balanced",
    )
    return tokenizer, make_pipeline(make_union(*featurizers), classifier)


def quick_cross_validation(folds: int) -> tuple[dict[str, float], list[Error]]:
    from rasa.shared.nlu.training_data.message import Message
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rows = load_examples()
    config = yaml.safe_load((ROOT / "bot/config.yml").read_text(encoding="utf-8"))
    tokenizer, model = _pipeline(config)
    texts = [" ".join(t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")) for text, _, _ in rows]
    intents = [intent for _, intent, _ in rows]
    predicted = cross_val_predict(
        model, texts, intents, cv=StratifiedKFold(folds, shuffle=True, random_state=0), n_jobs=-1
    )
    wrong = [
        (text, intent, p, language) for (text, intent, language), p in zip(rows, predicted, strict=True) if p != intent
    ]
    return _accuracy(rows, Counter(language for *_, language in wrong)), wrong


def show_errors(errors: list[Error], languages: set[str]) -> None:
    """Print each language's most common confusions, then every misclassified example."""
    for language in sorted(languages):
        mine = sorted((e for e in errors if e[3] == language), key=lambda e: (e[1], e[2], e[0]))
        pairs = Counter(f"{expected} -> {predicted}" for _, expected, predicted, _ in mine)
        print(f"\n## {language}: {len(mine)} wrong; " + ", ".join(f"{p} ({n})" for p, n in pairs.most_common(6)))
        for text, expected, predicted, _ in mine:
            print(f"  {expected:17} -> {predicted:17} {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="scikit-learn stand-in instead of rasa test nlu")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--show-errors", metavar="LANGS", default="", help="comma-separated languages (or 'all') to list errors for"
    )
    args = parser.parse_args()
    scores, errors = quick_cross_validation(args.folds) if args.quick else rasa_cross_validation(args.folds)
    counts = Counter(language for _, _, language in load_examples())
    print("| language | examples | intent accuracy |")
    print("|---|---|---|")
    for language, score in scores.items():
        print(f"| {language} | {counts[language]} | {score:.3f} |")
    print(f"| all | {sum(counts.values())} | {sum(scores[k] * counts[k] for k in scores) / sum(counts.values()):.3f} |")
    if args.show_errors:
        show_errors(errors, set(scores) if args.show_errors == "all" else set(args.show_errors.split(",")))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
