"""The allocator settings: malloc_trim gives glibc's free pages back; without glibc both settings say they did nothing."""
import ctypes.util
import logging

import pytest

from bot.app import allocator


@pytest.fixture
def fresh_libc():
    allocator._glibc.cache_clear()
    yield
    allocator._glibc.cache_clear()


@pytest.mark.skipif(allocator._glibc() is None, reason="glibc only")
def test_trim_gives_back_the_pages_freed_in_the_middle_of_the_heap():
    """Blocks freed below a live one leave a hole that free() alone never returns (only the heap's top goes back on
    its own); malloc_trim(0) does."""
    held = [bytes(4000) for _ in range(5000)]  # about 20 MB of malloc'd blocks (pymalloc takes only <= 512 bytes)
    top = bytes(4000)  # still in use, above them
    del held
    assert allocator.trim() is True
    assert len(top) == 4000


def test_without_glibc_neither_setting_is_applied(fresh_libc, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger=allocator.__name__)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libc-that-is-not-here.so.6")
    assert allocator.trim() is False
    assert allocator.limit_arenas() is False
    assert "no glibc here" in caplog.text


def test_the_operators_arena_setting_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert allocator.limit_arenas() is True
