"""Prompt and reply templates, kept as files so a change shows in review."""
from functools import cache
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).parent


def load_text(name: str) -> str:
    """The text of prompts/<name> (e.g. "suggestions/en.toml")."""
    return (PROMPTS_DIR / name).read_text(encoding="utf-8")


def render(name: str, **values: object) -> str:
    """prompts/<name> with its `$placeholders` filled in (`$$` is a dollar sign).

    A placeholder without a value raises KeyError: a typo in a prompt fails loudly, not silently.
    Values are inserted as they are and never read as templates themselves.
    """
    return _template(name).substitute({key: str(value) for key, value in values.items()})


@cache
def _template(name: str) -> Template:
    """Read once: the prompts ship with the code (the team's own material, bot/suggest/model.py reads at every call)."""
    return Template(load_text(name))
