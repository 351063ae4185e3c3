"""No resident-facing message renders in English in another language.

Two halves of one rule. The catalogs: every message of the bot, the channels (SMS, voice,
TTY) and the web pages has a translation in every language that differs from the English
source. The code: every string handed to a translation function (the bot's and the
channels' ``t``, the web's ``wt``) is a literal or a marked constant that is in the catalog
of the domain that function reads, so nothing can fall back to English unnoticed (the way
the 911 advice did, issue 15).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parent.parent
LOCALES = REPO / "locales"
TRANSLATED = ["es", "tl", "vi", "zh", "zh_Hant", "km", "hmn", "lo", "pa"]
# Resident-facing domains; the staff console (English and Spanish only) is not one of them.
RESIDENT_DOMAINS = ["bot", "messages", "web"]

# NOTE: only words that are the same in the language as in English belong here: the service's
# name, and loanwords that are the everyday (and official) word in that language.
SAME_AS_ENGLISH: dict[str, set[str]] = {
    "Heard:": set(TRANSLATED),  # the service's name, a label before its own words
    "PIN": {"es", "tl"},  # "el PIN", "ang PIN": the word banks and agencies use
    "Email": {"vi", "hmn", "tl"},  # the everyday word; "thư điện tử" reads as dated
}


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _first(text):
    return text[0] if isinstance(text, tuple) else text


def _is_invariant(msgid: str) -> bool:
    """A message with no words: numbers, punctuation and placeholders only."""
    return not re.sub(r"\{\w+\}|%\(\w+\)s|[\d\s\W]", "", msgid)


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("domain", RESIDENT_DOMAINS)
def test_every_message_is_translated_and_not_english(domain, language):
    template = _catalog(LOCALES / f"{domain}.pot")
    catalog = {(m.context, m.id): m for m in _catalog(LOCALES / language / "LC_MESSAGES" / f"{domain}.po") if m.id}
    problems = []
    for message in template:
        if not message.id:
            continue
        msgid = _first(message.id)
        translated = catalog.get((message.context, message.id))
        text = _first(translated.string) if translated else ""
        if translated is None or not text:
            problems.append(f"missing: {msgid[:70]!r}")
        elif translated.fuzzy:
            problems.append(f"fuzzy: {msgid[:70]!r}")
        elif text == msgid and not _is_invariant(msgid) and language not in SAME_AS_ENGLISH.get(msgid, set()):
            problems.append(f"English: {msgid[:70]!r}")
    assert not problems, f"{domain}/{language}: {len(problems)} problems: {problems[:10]}"


# --- the code: what reaches a translation function is in that function's catalog --------------

# The translation functions, which argument is the message, and the catalog each one reads.
SPEAKERS = {
    "bot/actions": {"t": (1, "bot")},
    "webhooks": {"t": (1, "messages"), "wt": (1, "web")},
}
# Functions that mark a message where it is defined (they return it unchanged).
MARKERS = {"_", "N_"}

# Call sites whose message is not a constant the scan can follow, and what checks them instead.
# NOTE: a new entry needs a reason; most new code should say a marked constant instead.
FOLLOWED_ELSEWHERE = {
    ("webhooks/pages/common.py", "message"): "tr() in templates: N_-marked constants",
    ("webhooks/pages/steps.py", "message"): "validate()'s errors: N_-marked constants",
    ("webhooks/pages/form.py", "step.summary or step.title"): "test_every_question_page_word_is_in_the_web_catalog",
    ("webhooks/pages/form.py", "dict(f.options)[raw]"): "test_every_question_page_word_is_in_the_web_catalog",
    ("webhooks/pages/form.py", "f.label"): "test_every_question_page_word_is_in_the_web_catalog",
    ("webhooks/chat.py", "message"): "_error()'s parameter: every caller passes an N_-marked constant",
    ("webhooks/chat.py", "text"): "the values of STRINGS, N_-marked",
}


@dataclass
class Module:
    path: str
    tree: ast.Module
    assigned: dict[str, ast.expr] = field(default_factory=dict)
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)


def _modules() -> dict[str, Module]:
    modules = {}
    for folder in SPEAKERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            module = Module(relative, ast.parse(path.read_text(encoding="utf-8")))
            for node in module.tree.body:
                targets = (
                    node.targets
                    if isinstance(node, ast.Assign)
                    else [node.target]
                    if isinstance(node, ast.AnnAssign) and node.value
                    else []
                )
                for target in targets:
                    if isinstance(target, ast.Name):
                        module.assigned[target.id] = node.value
                if isinstance(node, ast.ImportFrom) and node.module:
                    for alias in node.names:
                        module.imported[alias.asname or alias.name] = (
                            node.module.replace(".", "/") + ".py",
                            alias.name,
                        )
            modules[relative] = module
    return modules


def _msgids(domain: str) -> set[str]:
    return {_first(m.id) for m in _catalog(LOCALES / f"{domain}.pot") if m.id}


def _enclosing_function(tree: ast.Module, target: ast.AST) -> ast.AST | None:
    found = None
    for node in ast.walk(tree):
        is_function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if is_function and any(n is target for n in ast.walk(node)) and (found is None or node in ast.walk(found)):
            found = node
    return found


class Follower:
    """Follow what a translation function is given back to the messages it can be."""

    def __init__(self, modules: dict[str, Module]):
        self.modules = modules

    def messages(self, expr: ast.expr, module: Module, scope: ast.AST | None) -> list[str] | None:
        """The messages ``expr`` can be, or None when it cannot be followed."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [expr.value]
        if isinstance(expr, ast.IfExp):
            return self._all([expr.body, expr.orelse], module, scope)
        if isinstance(expr, ast.Name):
            if scope is not None:
                local = [
                    node.value
                    for node in ast.walk(scope)
                    if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
                ]
                if local:
                    return self._all(local, module, scope)
            return self._constant(expr.id, module)
        if (  # {"type": FILE_TYPE, ...}.get(reason, FILE_EMPTY)
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "get"
            and isinstance(expr.func.value, ast.Dict)
        ):
            return self._all([*expr.func.value.values, *expr.args[1:]], module, scope)
        if isinstance(expr, (ast.Call, ast.Subscript)):
            return self._marked([expr], module)
        return None

    def _all(self, exprs: list[ast.expr], module: Module, scope: ast.AST | None) -> list[str] | None:
        found: list[str] = []
        for expr in exprs:
            messages = self.messages(expr, module, scope)
            if messages is None:
                return None
            found += messages
        return found

    def _definition(self, name: str, module: Module) -> tuple[ast.expr, Module] | None:
        if name in module.assigned:
            return module.assigned[name], module
        if name in module.imported:
            path, original = module.imported[name]
            if path in self.modules:
                return self._definition(original, self.modules[path])
        return None

    def _constant(self, name: str, module: Module) -> list[str] | None:
        definition = self._definition(name, module)
        return None if definition is None else self._marked([definition[0]], definition[1])

    def _marked(self, exprs, module: Module) -> list[str] | None:
        """Messages wrapped in a marker where they are defined; anything else cannot be followed."""
        found: list[str] = []
        for expr in exprs:
            if isinstance(expr, ast.Dict):
                messages = self._marked(expr.values, module)
            elif isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
                table = self._definition(expr.value.id, module)
                messages = None if table is None else self._marked([table[0]], table[1])
            elif (
                isinstance(expr, ast.Call)
                and isinstance(expr.func, ast.Name)
                and expr.func.id in MARKERS
                and len(expr.args) == 1
                and isinstance(expr.args[0], ast.Constant)
            ):
                messages = [expr.args[0].value]
            else:
                # NOTE: an unmarked string constant is exactly the bug: pybabel never sees it.
                messages = None
            if messages is None:
                return None
            found += messages
        return found


def _call_sites():
    modules = _modules()
    follower = Follower(modules)
    for module in modules.values():
        speakers = next(s for folder, s in SPEAKERS.items() if module.path.startswith(folder))
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in speakers:
                continue
            position, domain = speakers[name]
            if len(node.args) <= position:
                continue
            expr = node.args[position]
            scope = _enclosing_function(module.tree, node)
            yield module.path, node.lineno, ast.unparse(expr), domain, follower.messages(expr, module, scope)


def test_every_message_said_is_a_marked_message_of_the_catalog_it_is_read_from():
    catalogs = {domain: _msgids(domain) for domain in {d for s in SPEAKERS.values() for _, d in s.values()}}
    problems, sites = [], 0
    for path, line, source, domain, messages in _call_sites():
        sites += 1
        if messages is None:
            if (path, source) not in FOLLOWED_ELSEWHERE:
                problems.append(f"{path}:{line}: {source} is not a literal or a marked constant")
            continue
        for message in messages:
            if message not in catalogs[domain]:
                problems.append(f"{path}:{line}: {message[:60]!r} is not in {domain}.pot")
    assert sites > 50, "the scan found too few call sites; did the translation functions change name?"
    assert not problems, "\n".join(problems)


def test_every_exception_is_still_needed():
    unfollowed = {(path, source) for path, _, source, _, messages in _call_sites() if messages is None}
    assert set(FOLLOWED_ELSEWHERE) <= unfollowed, set(FOLLOWED_ELSEWHERE) - unfollowed


def test_every_question_page_word_is_in_the_web_catalog():
    from webhooks.pages.steps import STEPS

    catalog = _msgids("web")
    words = []
    for step in STEPS:
        words += [step.title, step.hint, step.summary]
        for f in step.fields:
            words += [f.label, f.hint, *(label for _, label in f.options)]
    missing = sorted({w for w in words if w and w not in catalog})
    assert not missing, missing
