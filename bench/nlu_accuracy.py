"""Intent accuracy per language, by 5-fold cross-validation.

Run with the Rasa environment's Python (it has Rasa and scikit-learn):

    .venv-rasa/bin/python bench/nlu_accuracy.py          # Rasa's own `rasa test nlu --cross-validation`
    .venv-rasa/bin/python bench/nlu_accuracy.py --quick  # the same features in plain scikit-learn, seconds

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

import yaml

ROOT = Path(__file__).resolve().parent.parent


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


def rasa_cross_validation(folds: int) -> dict[str, float]:
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
    wrong = Counter(language_of.get((e["text"], e["intent"]), "?") for e in errors)
    total = Counter(language for _, _, language in rows)
    return {language: 1 - wrong[language] / total[language] for language in sorted(total)}


def quick_cross_validation(folds: int) -> dict[str, float]:
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline, make_union

    rows = load_examples()
    texts = np.array([r[0] for r in rows])
    intents = np.array([r[1] for r in rows])
    languages = np.array([r[2] for r in rows])
    model = make_pipeline(
        make_union(CountVectorizer(analyzer="char_wb", ngram_range=(1, 4)), CountVectorizer()),
        LogisticRegression(C=100, max_iter=2000),
    )
    predicted = cross_val_predict(model, texts, intents, cv=StratifiedKFold(folds, shuffle=True, random_state=0))
    return {
        language: float((predicted[languages == language] == intents[languages == language]).mean())
        for language in sorted(set(languages))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="scikit-learn stand-in instead of rasa test nlu")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    scores = quick_cross_validation(args.folds) if args.quick else rasa_cross_validation(args.folds)
    counts = Counter(language for _, _, language in load_examples())
    print("| language | examples | intent accuracy |")
    print("|---|---|---|")
    for language, score in scores.items():
        print(f"| {language} | {counts[language]} | {score:.3f} |")
    print(f"| all | {sum(counts.values())} | {sum(scores[k] * counts[k] for k in scores) / sum(counts.values()):.3f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
