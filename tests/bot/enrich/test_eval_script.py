"""bench/eval_enrich.py prints one figure a line, per file when given several."""
import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "bench/eval_enrich.py"


def write(path: Path, *rows: dict) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False)


def test_each_file_gets_its_own_figures(tmp_path):
    english = write(tmp_path / "english.jsonl",
                    {"id": "a1", "lang": "en", "text": "@shop thank you, the repair was quick and perfect",
                     "sentiment": "positive", "intent": "praise", "pii": []},
                    {"id": "a2", "lang": "en", "text": "@shop my blender arrived broken, call me on +44 7700 900456",
                     "sentiment": "negative", "intent": "complaint", "pii": [{"type": "phone", "text": "+44 7700 900456"}]})
    spanish = write(tmp_path / "spanish.jsonl",
                    {"id": "b1", "lang": "es", "text": "@shop ¿hacéis envíos a Andorra?", "sentiment": "neutral",
                     "intent": "question", "pii": []})
    result = run("--data", str(english), str(spanish))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    first, second = lines.index(f"data: {english}"), lines.index(f"data: {spanish}")
    assert first < second
    assert lines[first + 1] == "posts: 2 in 1 languages (2 English)"
    assert lines[second + 1] == "posts: 1 in 1 languages (0 English)"
    assert "sentiment macro-F1 (en): 1.00" in lines[first:second] and "PII recall: 1.00" in lines[first:second]
    assert "sentiment macro-F1 (en): n/a" in lines[second:]
    assert all(": " in line for line in lines), "one named figure a line"


def test_repeated_flags_add_files_and_a_missing_file_is_named(tmp_path):
    data = write(tmp_path / "one.jsonl", {"id": "c1", "lang": "en", "text": "@shop ok", "sentiment": "neutral",
                                          "intent": "other", "pii": []})
    assert run("--data", str(data), "--data", str(data)).stdout.count(f"data: {data}") == 2
    missing = run("--data", str(data), str(tmp_path / "nope.jsonl"))
    assert missing.returncode != 0 and "nope.jsonl not found" in missing.stderr


def test_a_single_file_prints_as_before_without_a_data_line(tmp_path):
    data = write(tmp_path / "one.jsonl", {"id": "c1", "lang": "en", "text": "@shop ok", "sentiment": "neutral",
                                          "intent": "other", "pii": []})
    lines = run("--data", str(data)).stdout.splitlines()
    assert lines[:2] == ["posts: 1 in 1 languages (1 English)", "mode: offline (rules and templates)"]
    assert not any(line.startswith("data:") for line in lines)
