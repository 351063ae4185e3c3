"""The ``intake translate`` commands: install and list offline translation packages."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from intake.config import Settings
from intake.enums import Language
from intake.errors import IntakeError
from intake.translation.engine import (
    PIVOT,
    TranslationSettings,
    install_from_index,
    install_package,
    list_models,
    route,
)


def _translation_settings(settings: Settings) -> TranslationSettings:
    return TranslationSettings.from_env(os.environ, settings.instance_dir)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group("translate")
def translate() -> None:
    """Offline translation packages (Argos Translate)."""


@translate.command("install")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--from-index",
    "pair",
    nargs=2,
    metavar="FROM TO",
    default=None,
    help="Download the pair's package from the Argos package index instead (needs internet).",
)
@click.pass_obj
def install(settings: Settings, path: Path | None, pair: tuple[str, str] | None) -> None:
    """Install a .argosmodel package file, or fetch one with --from-index FROM TO."""
    translation = _translation_settings(settings)
    try:
        if path is not None and pair is None:
            model = install_package(translation, path)
        elif pair is not None and path is None:
            model = install_from_index(translation, *pair)
        else:
            raise click.UsageError("give either a package PATH or --from-index FROM TO")
    except IntakeError as exc:
        _fail(str(exc))
        return
    click.echo(f"installed {model.label} ({model.from_code} → {model.to_code}) in {model.path}")


@translate.command("list")
@click.pass_obj
def list_packages(settings: Settings) -> None:
    """List installed packages and the languages that still need an interpreter."""
    translation = _translation_settings(settings)
    models = list_models(translation)
    if not models:
        click.echo(f"no translation packages in {translation.packages_dir}")
        click.echo("install one with: intake translate install PATH")
    for model in models:
        splitter = "MiniSBD" if model.has_splitter else "punctuation"
        click.echo(f"{model.from_code} → {model.to_code}  {model.label}  sentences: {splitter}")
    missing = [
        code
        for code in Language.values()
        if code != PIVOT and (route(translation, code, PIVOT) is None or route(translation, PIVOT, code) is None)
    ]
    if missing:
        click.echo(f"no pair to and from {PIVOT} (cases need an interpreter): {', '.join(missing)}")
