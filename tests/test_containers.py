"""The Dockerfile and compose.yaml parse and hold together: a small non-root image running `socialdesk run`, PostgreSQL,
migrations before the bot, health checks wired; compose's own validation where a compose client is installed.

No Docker daemon runs on the CI machine, so the image itself is built only where one answers (.ci/run)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from tests.auxil.cli import ROOT


def dockerfile() -> DockerfileParser:
    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    return parser


def instructions(stage: int | None = None) -> list[dict]:
    """The Dockerfile's instructions, of one stage (0, 1…) or all."""
    found, current = [], -1
    for instruction in dockerfile().structure:
        if instruction["instruction"] == "FROM":
            current += 1
        if stage is None or current == stage:
            found.append(instruction)
    return found


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_the_image_runs_socialdesk_as_an_unprivileged_user_from_a_slim_base():
    parser = dockerfile()
    assert parser.baseimage == "python:3.11-slim" and len(parser.parent_images) == 2  # a build stage and a small one
    final = instructions(stage=1)
    users = [i["value"] for i in final if i["instruction"] == "USER"]
    assert users and users[-1] not in ("root", "0")
    (entrypoint,) = [i["value"] for i in final if i["instruction"] == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["socialdesk", "run"]
    assert not [i for i in final if i["instruction"] in ("RUN",) and "pip install" in i["value"]]  # installed in stage 0
    assert any(i["instruction"] == "COPY" and "--from=build /opt/socialdesk" in i["value"] for i in final)


def test_the_package_is_installed_with_the_tested_versions_and_every_copied_path_exists():
    build = instructions(stage=0)
    installs = [i["value"] for i in build if i["instruction"] == "RUN" and "pip install" in i["value"]]
    assert any("-c constraints.txt ." in value for value in installs)
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for copy in (i for i in build if i["instruction"] == "COPY"):
        *sources, _ = copy["value"].split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source not in ignored, f"{source} is copied but .dockerignore leaves it out"
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = {part for i in build if i["instruction"] == "COPY" for part in i["value"].split()}
    assert {package.rstrip("*") for package in packages} <= copied


def test_the_health_checks_ask_the_process_on_its_port():
    (check,) = [i["value"] for i in instructions(stage=1) if i["instruction"] == "HEALTHCHECK"]
    command = json.loads(check[check.index("CMD") + 3:].strip())
    assert command[:2] == ["python", "-c"] and "/healthz" in command[2]
    compile(command[2], "HEALTHCHECK", "exec")  # the probe is valid Python
    bot = compose()["services"]["bot"]
    probe = bot["healthcheck"]["test"]
    assert probe[:3] == ["CMD", "python", "-c"] and "/readyz" in probe[3]
    compile(probe[3], "healthcheck", "exec")
    port = bot["command"][bot["command"].index("--port") + 1]
    assert f"127.0.0.1:{port}/readyz" in probe[3] and bot["ports"][0].endswith(f":{port}")


def test_compose_runs_the_migrations_before_the_bot_on_postgresql():
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "bot"}
    assert services["postgres"]["image"].startswith("postgres:") and "pg_isready" in " ".join(
        services["postgres"]["healthcheck"]["test"])
    assert services["migrate"]["entrypoint"] == ["socialdesk", "db", "upgrade"]
    assert services["migrate"]["build"] == "." and services["bot"]["image"] == services["migrate"]["image"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["bot"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    environment = services["bot"]["environment"]
    assert environment == services["migrate"]["environment"]
    assert re.fullmatch(r"postgresql://socialdesk:\$\{POSTGRES_PASSWORD:-socialdesk\}@postgres:5432/socialdesk",
                        environment["DATABASE_URL"])
    assert environment["LOG_FORMAT"] == "${LOG_FORMAT:-json}" and environment["LOG_LEVEL"] == "${LOG_LEVEL:-INFO}"
    assert environment["SOCIALDESK_CONFIG"] == "/data/socialdesk.toml"
    assert services["bot"]["volumes"] == ["./socialdesk.toml:/data/socialdesk.toml:ro"]


def compose_client() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_itself_accepts_the_file(tmp_path):
    client = compose_client()
    if client is None:
        pytest.skip("no compose client here (docker compose or docker-compose): the checks above stand in for it")
    for name in ("compose.yaml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-example\n")  # env_file must exist; the real one is yours
    (tmp_path / "socialdesk.toml").write_text("")
    result = subprocess.run([*client, "config"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["services"]["bot"]["environment"]["DATABASE_URL"] == \
        "postgresql://socialdesk:socialdesk@postgres:5432/socialdesk"


def test_the_constraints_pin_every_dependency():
    pinned = {re.split(r"[=<>!~\[ ]", line, maxsplit=1)[0].lower().replace("_", "-")
              for line in (ROOT / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    names = {re.split(r"[=<>!~\[ ]", spec, maxsplit=1)[0].lower().replace("_", "-") for spec in wanted}
    assert names - pinned == set()
    assert all("==" in line for line in (ROOT / "constraints.txt").read_text().splitlines() if line and line[0] != "#")
