"""Prompt and reply templates, kept as files so a change shows in review."""
from pathlib import Path

PROMPTS_DIR = Path(__file__).parent


def load_text(name: str) -> str:
    """The text of prompts/<name> (e.g. "suggestions/en.toml")."""
    return (PROMPTS_DIR / name).read_text(encoding="utf-8")
