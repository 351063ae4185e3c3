"""Translate a fixed corpus through Heard's worker path and through CTranslate2 directly; print both.

    .venv/bin/python bench/translate.py [--cases 60] [--package tests/fixtures/argos/translate-es_en-tiny.argosmodel]

Heard's path: cases are filed in a temporary SQLite database and the worker's
``translate.case`` jobs translate them (database reads and writes, sentence splitting,
token batches, the audit entry). Direct: the same sentences, already split and tokenized,
go to ``ctranslate2.Translator`` with the same model and the same settings. Both run in this
process, one after the other, so the ratio is measured side by side. Figures only.
"""

from __future__ import annotations

import argparse
import base64
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intake import jobs  # noqa: E402
from intake.cases import filing as complaints  # noqa: E402
from intake.crypto import Keyring, new_secrets  # noqa: E402
from intake.db import Database  # noqa: E402
from intake.migrate import upgrade  # noqa: E402
from intake.translation.cases import CaseTranslator  # noqa: E402
from intake.translation.engine import (  # noqa: E402
    TranslationEngine,
    TranslationSettings,
    install_package,
    split_sentences,
)

# Spanish sentences of the kind residents write (the fixture model's own training sentences).
CORPUS = [
    "El oficial me empujó.",
    "Se llevaron mi teléfono.",
    "Pasó el martes por la noche.",
    "Eran las diez de la noche.",
    "Fue cerca de la escuela.",
    "Había dos oficiales.",
    "Uno de ellos me insultó.",
    "Me pusieron las esposas muy apretadas.",
    "Mi número de caso es 5821.",
    "¿Dónde puedo recoger mi teléfono?",
]


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--package", default=str(ROOT / "tests/fixtures/argos/translate-es_en-tiny.argosmodel"))
    args = parser.parse_args()
    secrets = new_secrets()
    keyring = Keyring(
        tuple(secrets["fernet_keys"]),  # type: ignore[arg-type]
        base64.b64decode(str(secrets["hmac_key"])),
        str(secrets["secret_key"]),
        str(secrets["internal_token"]),
    )
    with tempfile.TemporaryDirectory() as instance:
        settings = TranslationSettings.from_env(None, Path(instance))
        model = install_package(settings, Path(args.package))
        engine = TranslationEngine(settings)
        before = rss_mib()
        engine.translate(CORPUS[0], model.from_code, model.to_code)  # load the model once, outside the timing
        loaded_rss = rss_mib()

        url = f"sqlite:///{instance}/heard.db"
        upgrade(url)
        database = Database(url)
        narrative = " ".join(CORPUS)
        translator = CaseTranslator(database=database, engine=engine)

        import ctranslate2

        loaded = engine._load(model)  # the same package objects: same tokenizer and model folder
        direct = ctranslate2.Translator(
            str(model.path / "model"),
            device="cpu",
            inter_threads=settings.inter_threads,
            intra_threads=settings.intra_threads,
            compute_type="default",
        )
        tokenized = [loaded.pkg.tokenizer.encode(s) for s in split_sentences(narrative)]
        sentences = args.cases * len(CORPUS)
        heard_times: list[float] = []
        direct_times: list[float] = []
        ran = 0
        # NOTE: the two paths alternate, round after round, so a noisy neighbour hits both alike.
        for _ in range(args.rounds):
            with database.session() as session:
                for _ in range(args.cases):
                    submission = complaints.parse_submission(
                        {
                            "kind": "complaint",
                            "channel": "sms",
                            "language": "es",
                            "narrative": narrative,
                            "anonymous": True,
                        }
                    )
                    complaints.file_case(session, keyring=keyring, submission=submission, actor="bench")
                session.commit()
            start = time.perf_counter()
            ran += jobs.run_ready(database, translator.handlers(), limit=10**6)
            heard_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            for _ in range(args.cases):
                direct.translate_batch(
                    tokenized,
                    max_batch_size=settings.max_batch_tokens,
                    batch_type="tokens",
                    beam_size=settings.beam_size,
                    replace_unknowns=True,
                )
            direct_times.append(time.perf_counter() - start)
        database.dispose()
    heard_seconds = statistics.median(heard_times)
    direct_seconds = statistics.median(direct_times)

    heard_rate = sentences / heard_seconds
    direct_rate = sentences / direct_seconds
    print(
        f"model {model.label}, beam {settings.beam_size}, intra_threads {settings.intra_threads}, "
        f"{args.cases} cases x {len(CORPUS)} sentences = {sentences} sentences ({ran} jobs)"
    )
    print(
        f"Heard worker path:   {heard_rate:8.1f} sentences/s  (median of {args.rounds} rounds: {heard_seconds:.2f} s)"
    )
    print(
        f"CTranslate2 direct:  {direct_rate:8.1f} sentences/s  (median of {args.rounds} rounds: {direct_seconds:.2f} s)"
    )
    print(f"ratio Heard/direct:  {heard_rate / direct_rate:.2f}")
    print(
        f"peak RSS: {before:.0f} MiB before loading, {loaded_rss:.0f} MiB with the model, "
        f"{rss_mib():.0f} MiB at the end"
    )


if __name__ == "__main__":
    main()
