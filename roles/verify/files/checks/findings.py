"""What a check found, for its two audiences. A finding names the object, the symptom a learner
may see for themselves (what kubectl, curl, nslookup or journalctl would show; never an injected
value nor the fix) and the diagnosis an instructor reads (the cause, as precisely as the check
knows it). Symptoms are keys of texts.yml, written in every language of the lab; the report chooses
which audience and which language it writes."""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

LANGUAGES = ("en", "ko")
AUDIENCES = ("learner", "instructor")
TEXTS_FILE = Path(__file__).with_name("texts.yml")


@functools.cache
def texts() -> dict[str, dict[str, dict[str, str]]]:
    """texts.yml: per section (symptoms, report), per key, the text in each language."""
    loaded: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))
    return loaded


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def text(section: str, key: str, language: str, **params: Any) -> str:
    """One text of texts.yml in a language, its {placeholders} filled."""
    try:
        template = texts()[section][key][language]
    except KeyError:
        # a check that names a text nobody wrote still reports, in the words it has
        return f"{key} " + " ".join(f"{name}={value}" for name, value in params.items())
    return template.format(**{name: params.get(name, "") for name in placeholders(template)})


@dataclass(frozen=True)
class Symptom:
    """A key of texts.yml's symptoms and the values it shows: objects, nodes, counts, what a
    person would observe. Never a value a break injected."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        return text("symptoms", self.key, language, **self.params)


@dataclass(frozen=True)
class Finding:
    symptom: Symptom
    diagnosis: str
    object: str = ""

    def view(self, audience: str, language: str) -> dict[str, str]:
        """The finding as its audience may read it."""
        seen = {"object": self.object, "symptom": self.symptom.render(language)}
        return seen if audience == "learner" else {**seen, "diagnosis": self.diagnosis}


def found(key: str, diagnosis: str, object: str = "", **params: Any) -> Finding:
    """A finding whose symptom is texts.yml's `key`, shown with the object and params."""
    return Finding(Symptom(key, {"object": object, **params}), diagnosis, object)


class Failed(Exception):
    """A check failed with these findings."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("\n".join(f.diagnosis for f in findings))
        self.findings = findings


class Blocked(Exception):
    """A check cannot run because what it reads is unreachable (the API server, a node)."""

    def __init__(self, diagnosis: str, symptom: Symptom | None = None) -> None:
        super().__init__(diagnosis)
        self.finding = Finding(symptom or Symptom("check-could-not-run"), diagnosis)


def fail_on(findings: list[Finding]) -> None:
    """Fail the check with its findings; pass when there are none."""
    if findings:
        raise Failed(findings)


def fail(key: str, diagnosis: str, object: str = "", **params: Any) -> NoReturn:
    """Fail the check with one finding."""
    raise Failed([found(key, diagnosis, object, **params)])
