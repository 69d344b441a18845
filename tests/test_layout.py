"""The floor plan holds: wings by capability, imports pointing down, no cycles, platform SDKs in their own packages.

The rules are those of ARCHITECTURE.md; this test reads every import (including the ones inside
functions) of the product's code and names each one that breaks them.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.auxil.cli import ROOT

PACKAGES = ("bot", "handlers", "storage", "prompts")
# How high each folder sits: a module may import from its own level or below, never above.
LEVELS = {
    "bot/app": 5,
    "bot/chat": 4, "bot/chat/slack": 4, "bot/chat/discord": 4, "handlers": 4,
    "bot/desk": 3, "bot/ingest": 3, "bot/sla": 3, "bot/suggest": 3, "bot/reports": 3,
    "bot/delivery": 2, "bot/sources": 2, "bot/enrich": 2,
    "bot": 1, "storage": 1, "prompts": 1,
}
SDKS = {  # a platform's SDK is imported only inside its own package
    "slack_sdk": "bot/chat/slack", "slack_bolt": "bot/chat/slack", "discord": "bot/chat/discord",
    "atproto": "bot/sources/bluesky", "atproto_client": "bot/sources/bluesky", "openai": "bot/suggest",
}


def modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the product (migrations are Alembic's, not ours)."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def folder(module: str, known: dict[str, Path]) -> str:
    """The folder a module lives in (`bot.desk.lifecycle` -> bot/desk); `python -m bot` belongs to the app."""
    if module == "bot.__main__":
        return "bot/app"
    path = known[module].relative_to(ROOT)
    return str(path.parent)


def level(folder_name: str) -> int:
    while folder_name not in LEVELS:  # a network's own package sits with the sources
        folder_name = str(Path(folder_name).parent)
    return LEVELS[folder_name]


def imports(known: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the product modules it imports explicitly (`from bot.desk import lifecycle` is bot.desk.lifecycle)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for module, path in known.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module
                           for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in known and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in known and target != module:
                    edges[module].add(target)
    return edges


def sdk_imports(known: dict[str, Path]) -> list[tuple[str, str]]:
    found = []
    for module, path in known.items():
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            found += [(module, name.split(".")[0]) for name in names if name.split(".")[0] in SDKS]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_bot_has_at_most_eight_modules_at_its_top_level():
    top = sorted(path.name for path in (ROOT / "bot").glob("*.py"))
    assert len(top) <= 8, top


def test_no_import_cycle_between_files():
    assert cycles(imports(modules())) == []


def test_no_import_cycle_between_folders():
    known = modules()
    between: dict[str, set[str]] = defaultdict(set)
    for module, targets in imports(known).items():
        for target in targets:
            if folder(module, known) != folder(target, known):
                between[folder(module, known)].add(folder(target, known))
    assert cycles(between) == []


def test_imports_point_down():
    known = modules()
    upward = [f"{module} -> {target}" for module, targets in imports(known).items() for target in targets
              if level(folder(target, known)) > level(folder(module, known))]
    assert upward == []


def test_handlers_import_nothing_from_chat_or_the_app():
    known = modules()
    wrong = [f"{module} -> {target}" for module, targets in imports(known).items() if module.startswith("handlers")
             for target in targets if target.startswith(("bot.chat", "bot.app"))]
    assert wrong == []


def test_platform_sdks_are_imported_only_inside_their_packages():
    known = modules()
    outside = [f"{module} imports {sdk}" for module, sdk in sdk_imports(known)
               if not folder(module, known).startswith(SDKS[sdk])]
    assert outside == []


def test_every_wing_says_what_it_owns():
    for package in (ROOT / "bot").glob("*/__init__.py"):
        assert ast.get_docstring(ast.parse(package.read_text())), f"{package.parent.name}/__init__.py has no docstring"


def test_only_the_lifecycle_changes_a_conversation_status():
    changes = []
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
            changes += [module for target in targets if isinstance(target, ast.Attribute) and target.attr == "status"
                        and isinstance(target.value, ast.Name) and "conversation" in target.value.id]
    assert set(changes) == {"bot.desk.lifecycle"}
