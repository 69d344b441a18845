"""Every regular expression in the product, a structural check that none backtracks super-linearly,
and inputs built to make them try (used by tests/bot/test_regex_safety.py and bench/regex_worst.py).

A backtracking engine goes super-linear in two ways, and the check looks for both at each unbounded
repeat (`*`, `+`, `{n,}`) whose continuation can fail:
- **ambiguity** (exponential or polynomial per attempt): the repeat's body holds another unbounded
  repeat that can end where the next iteration starts (`(a+)+`), or the repeat is followed by
  another one that can start with what it consumes (`\\w+\\w*x`), unless possessive or atomic;
- **restarts** (quadratic over a search): each failed attempt scans a run to its end, and the next
  attempt starts inside that run (`\\b[\\w-]+\\.com/` on `a-a-a-…`). Safe when the pattern cannot
  start inside the run: it is anchored, its first characters are not ones the repeat consumes, or
  its leading guard (`\\b`, a one-character look-behind) refuses every character of the run.
A repeat whose continuation cannot fail (`https?://\\S+` at the end) is tried once per match. Inside
a look-around the scan is thrown away, so an unbounded repeat there is always a restart risk.
Bounded repeats (`{0,40}`) cost a constant per attempt and are not examined.
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import re._constants as C
import re._parser as P
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers")
MAXREPEAT = C.MAXREPEAT
REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT)
# Characters the check reasons with: ASCII, Latin-1 and Latin Extended, and one of each other kind a post holds.
PROBE = "".join(chr(c) for c in range(0x250)) + "\u0300\u0430\u05d0\u061c\u200b\u200e\u2060\u2066\u3002\u65e5\uff20\U0001f621"
_WORD = frozenset(c for c in PROBE if re.match(r"\w", c))
_DIGIT = frozenset(c for c in PROBE if c.isdecimal())
_SPACE = frozenset(c for c in PROBE if re.match(r"\s", c))
_ALL = frozenset(PROBE)
_CATEGORIES = {
    C.CATEGORY_WORD: _WORD, C.CATEGORY_NOT_WORD: _ALL - _WORD, C.CATEGORY_DIGIT: _DIGIT,
    C.CATEGORY_NOT_DIGIT: _ALL - _DIGIT, C.CATEGORY_SPACE: _SPACE, C.CATEGORY_NOT_SPACE: _ALL - _SPACE,
}


@dataclass(frozen=True)
class Found:
    """A compiled pattern and where it lives (`module.NAME`, or the function that builds it)."""
    where: str
    pattern: re.Pattern | regex.Pattern


# --- finding them ------------------------------------------------------------------------------------------------

def product_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        names += [m.name for m in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")
                  if not m.name.endswith("__main__")]  # running it starts the CLI
    return names


def _patterns_in(value, depth: int = 0) -> Iterator[re.Pattern | regex.Pattern]:
    if isinstance(value, re.Pattern | regex.Pattern):
        yield value
    elif depth < 3 and isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _patterns_in(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item, depth + 1)
    elif depth < 1 and hasattr(value, "__dict__") and type(value).__module__.startswith(PACKAGES):
        for item in vars(value).values():  # an object built at import time that holds patterns (bot/sources/x/text.py)
            yield from _patterns_in(item, depth + 1)


def module_patterns() -> list[Found]:
    """Every pattern a product module holds at its top level, directly or in a tuple, dict or object."""
    found, seen = [], set()
    for name in product_modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            for pattern in _patterns_in(value):
                if id(pattern) not in seen and not isinstance(value, type(module)):
                    seen.add(id(pattern))
                    found.append(Found(f"{name}.{attr}", pattern))
    return found


@dataclass(frozen=True)
class Call:
    """A call to `re.…` or `regex.…` in the product's source."""
    where: str  # path:line
    function: str | None  # the enclosing function, None at module level
    pattern: str | None  # the literal pattern (f-string parts filled with "x"), None when built otherwise
    flags: int
    engine: str  # "re" or "regex"

    def compiled(self) -> re.Pattern | regex.Pattern:
        return (re if self.engine == "re" else regex).compile(self.pattern, self.flags)


_FUNCTIONS = {"compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"}


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and all(  # rf"(?<!\w){re.escape(word)}(?!\w)": the escaped part is a literal
            isinstance(part, ast.Constant) or (isinstance(part.value, ast.Call) and ast.unparse(part.value.func) == "re.escape")
            for part in node.values):
        return "".join(part.value if isinstance(part, ast.Constant) else "x" for part in node.values)
    return None


def _flags(call: ast.Call) -> int:
    nodes = [k.value for k in call.keywords if k.arg == "flags"] + call.args[2 if call.func.attr == "compile" else 3:]
    total = 0
    for node in nodes:
        for attr in ast.walk(node):
            if isinstance(attr, ast.Attribute) and attr.attr in ("I", "IGNORECASE", "M", "MULTILINE", "S", "DOTALL"):
                total |= getattr(re, attr.attr)
    return total


def source_calls() -> list[Call]:
    """Every `re.f(…)` / `regex.f(…)` call in bot/ and handlers/, with the function it sits in."""
    calls = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            functions = {}
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    for inner in ast.walk(node):
                        functions.setdefault(id(inner), getattr(node, "name", "<lambda>"))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id in ("re", "regex")
                        and node.func.attr in _FUNCTIONS and node.args):
                    calls.append(Call(f"{path.relative_to(ROOT)}:{node.lineno}", functions.get(id(node)),
                                      _literal(node.args[0]), _flags(node), node.func.value.id))
    return calls


# --- checking them -----------------------------------------------------------------------------------------------

def _prepare(source: str) -> str:
    """The `regex` module's own escapes, as the standard parser reads them: \\K is zero-width, \\X one grapheme,
    \\p{…} a class of letters or digits."""
    source = source.replace(r"\K", "").replace(r"\X", r"(?:.[\u0300-\u036f]*)")
    return re.sub(r"\\[pP]\{(\w+)\}", lambda m: r"\w" if m.group(0)[1] == "p" else r"\W", source)


def _chars(op, av, flags: int) -> frozenset[str]:
    """The probe characters one single-character node matches."""
    def one(c: str) -> bool:
        return c in _set(op, av) or (flags & re.I and (c.lower() in _set(op, av) or c.upper() in _set(op, av)))
    return frozenset(c for c in PROBE if one(c))


def _set(op, av) -> frozenset[str]:
    if op is C.LITERAL:
        return frozenset(chr(av))
    if op is C.NOT_LITERAL:
        return _ALL - {chr(av)}
    if op is C.ANY:
        return _ALL
    if op is C.CATEGORY:
        return _CATEGORIES.get(av, _ALL)
    if op is C.RANGE:
        return frozenset(c for c in PROBE if av[0] <= ord(c) <= av[1])
    if op is C.IN:
        negate = av and av[0][0] is C.NEGATE
        inside = frozenset().union(*(_set(o, a) for o, a in av if o is not C.NEGATE))
        return _ALL - inside if negate else inside
    return _ALL


class _Pattern:
    def __init__(self, pattern: re.Pattern | regex.Pattern):
        self.source = pattern.pattern
        flags = pattern.flags & (re.I | re.M | re.S)
        if isinstance(pattern, regex.Pattern):
            flags = (re.I if pattern.flags & regex.I else 0) | (re.M if pattern.flags & regex.M else 0) | (
                re.S if pattern.flags & regex.S else 0)
        self.tree = P.parse(_prepare(self.source), flags)
        self.flags = self.tree.state.flags

    # what a piece of pattern can consume, start with, and whether it can match nothing or never fail
    def consumes(self, seq) -> frozenset[str]:
        out = frozenset()
        for op, av in seq:
            if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
                out |= _chars(op, av, self.flags)
            elif op in (*REPEATS, C.POSSESSIVE_REPEAT):
                out |= self.consumes(av[2])
            elif op is C.SUBPATTERN:
                out |= self.consumes(av[3])
            elif op is C.ATOMIC_GROUP:
                out |= self.consumes(av)
            elif op is C.BRANCH:
                for branch in av[1]:
                    out |= self.consumes(branch)
            elif op is C.GROUPREF_EXISTS:
                out |= self.consumes(av[1]) | (self.consumes(av[2]) if av[2] else frozenset())
        return out

    def first(self, seq) -> tuple[frozenset[str], bool]:
        """The characters `seq` can start with, and whether it can match the empty string."""
        out = frozenset()
        for op, av in seq:
            chars, nullable = self._first_one(op, av)
            out |= chars
            if not nullable:
                return out, False
        return out, True

    def _first_one(self, op, av) -> tuple[frozenset[str], bool]:
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            return _chars(op, av, self.flags), False
        if op in (*REPEATS, C.POSSESSIVE_REPEAT):
            chars, nullable = self.first(av[2])
            return chars, nullable or av[0] == 0
        if op is C.SUBPATTERN:
            return self.first(av[3])
        if op is C.ATOMIC_GROUP:
            return self.first(av)
        if op is C.BRANCH:
            results = [self.first(b) for b in av[1]]
            return frozenset().union(*(r[0] for r in results)), any(r[1] for r in results)
        if op is C.GROUPREF:
            return _ALL, True
        if op is C.GROUPREF_EXISTS:
            return self.consumes([(op, av)]), True
        return frozenset(), True  # assertions, anchors: zero-width

    def cannot_fail(self, seq) -> bool:
        """Whether `seq` matches at every position (so an attempt that reaches it succeeds)."""
        for op, av in seq:
            if op in (*REPEATS, C.POSSESSIVE_REPEAT):
                if av[0] != 0:
                    return False
            elif op is C.SUBPATTERN:
                if not self.cannot_fail(av[3]):
                    return False
            elif op is C.BRANCH:
                if not any(self.cannot_fail(b) for b in av[1]):
                    return False
            else:
                return False
        return True

    # the problems
    def problems(self) -> list[str]:
        found: list[str] = []
        top = list(self.tree)
        self._walk(top, [], found, atomic=False, lookaround=False, top=top)
        return found

    def _walk(self, seq, after, found, *, atomic, lookaround, top):
        """`after`: the sequences that follow `seq` up to the pattern's end (innermost first)."""
        for i, (op, av) in enumerate(seq):
            rest = [seq[i + 1:], *after]
            if op in REPEATS or op is C.POSSESSIVE_REPEAT:
                if av[1] == MAXREPEAT:
                    self._check_repeat(op, av, rest, found, atomic=atomic or op is C.POSSESSIVE_REPEAT,
                                       lookaround=lookaround, top=top)
                self._walk(list(av[2]), rest, found,
                           atomic=atomic or op is C.POSSESSIVE_REPEAT, lookaround=lookaround, top=top)
            elif op is C.SUBPATTERN:
                self._walk(list(av[3]), rest, found, atomic=atomic, lookaround=lookaround, top=top)
            elif op is C.ATOMIC_GROUP:
                self._walk(list(av), rest, found, atomic=True, lookaround=lookaround, top=top)
            elif op is C.BRANCH:
                for branch in av[1]:
                    branch_top = list(branch) if seq is top and i == 0 and len(seq) == 1 else top
                    self._walk(list(branch), rest, found, atomic=atomic, lookaround=lookaround, top=branch_top)
            elif op in (C.ASSERT, C.ASSERT_NOT):
                self._walk(list(av[1]), [], found, atomic=atomic, lookaround=True, top=top)

    def _check_repeat(self, op, av, rest, found, *, atomic, lookaround, top):
        body = list(av[2])
        tail = [node for part in rest for node in part]
        text = f"{'{'}{av[0]},{'}'} repeat of {P.SubPattern(self.tree.state, body)!s:.60}"
        if not lookaround and self.cannot_fail(tail):
            return  # reached once per match, and the match then succeeds
        consumed = self.consumes(body)
        if not atomic:
            for inner in self._unbounded_inside(body):
                inner_chars = self.consumes(inner[2])
                body_first, body_nullable = self.first(body)
                if body_nullable or inner_chars & body_first:
                    found.append(f"nested: {text} holds another unbounded repeat it can split with")
                    break
            for node in tail:  # what follows, as long as the repeat could give back what it matches
                chars, nullable = self._first_one(*node)
                if node[0] in REPEATS and node[1][1] == MAXREPEAT and chars & consumed:
                    found.append(f"adjacent: {text} is followed by another unbounded repeat of the same characters")
                    break
                if not nullable and not chars & consumed:
                    break
        if not self._cannot_restart_inside(consumed, top):
            found.append(f"restart: {text} scans a run that a later attempt can start inside")

    def _unbounded_inside(self, seq) -> Iterator[tuple]:
        for op, av in seq:
            if op in REPEATS:
                if av[1] == MAXREPEAT:
                    yield av
                yield from self._unbounded_inside(av[2])
            elif op is C.SUBPATTERN:
                yield from self._unbounded_inside(av[3])
            elif op is C.BRANCH:
                for branch in av[1]:
                    yield from self._unbounded_inside(branch)

    def _cannot_restart_inside(self, run: frozenset[str], top) -> bool:
        """Whether no attempt can start at a character of `run` right after another one of `run`."""
        refused = frozenset()  # characters before a start that the leading guards refuse
        i = 0
        while i < len(top) and top[i][0] in (C.AT, C.ASSERT, C.ASSERT_NOT):
            op, av = top[i]
            if op is C.AT and av in (C.AT_BEGINNING_STRING,) or (av is C.AT_BEGINNING and not self.flags & re.M):
                return True
            if op is C.AT and av is C.AT_BEGINNING:
                refused |= _ALL - {"\n"}
            elif op is C.AT and av is C.AT_BOUNDARY:
                starts, _ = self.first(top[i + 1:])
                refused |= _WORD if starts <= _WORD else (_ALL - _WORD if not starts & _WORD else frozenset())
            elif op in (C.ASSERT, C.ASSERT_NOT) and av[0] == -1 and len(av[1]) == 1 and av[1][0][0] in (
                    C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
                chars = _chars(*av[1][0], self.flags)
                refused |= chars if op is C.ASSERT_NOT else _ALL - chars
            i += 1
        starts, _ = self.first(top[i:])
        return not (starts & run) or not (run - refused)


def problems(pattern: re.Pattern | regex.Pattern) -> list[str]:
    """Why `pattern` may backtrack super-linearly; empty when it cannot."""
    return _Pattern(pattern).problems()


# --- inputs that make them try -----------------------------------------------------------------------------------

def adversarial(pattern: re.Pattern | regex.Pattern, size: int) -> dict[str, str]:
    """Inputs of about `size` characters: repetitions of the pattern's own building blocks (its literal
    characters, each followed by a letter, and pairs of them) and of what hostile posts hold."""
    literals = sorted({c for c in re.findall(r"(?<!\\)[^\w\s\\()\[\]{}?*+|^$]", pattern.pattern)} | {".", "-", "@", "/"})
    blocks = ["a", " ", "a-", "a.", "@a", "a ", "1", "1 ", "1-", "http://a", "https://a.co/", "a.co/", "www.a",
              "<!--", "\u00e9", "\u65e5", "\U0001f621", "#a", "\u200b"]
    blocks += [c + "a" for c in literals] + [c for c in literals] + [c * 2 + "a1" for c in literals]
    words = re.findall(r"[A-Za-z]{3,}", pattern.pattern)[:8]
    blocks += [w + " " for w in words] + [w + "a" for w in words]
    inputs = {f"{b!r} x {size // len(b)}": b * (size // len(b)) for b in dict.fromkeys(blocks)}
    for word in words:  # one start, then a long run for the rest of the pattern to fail on
        for run in (" ", "a", "1", ".", "@"):
            inputs[f"{word!r} + {run!r} x {size}"] = word + run * size
    inputs["https:// + a x size"] = "https://" + "a" * size
    return inputs
