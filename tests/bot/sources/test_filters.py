"""Which posts a source keeps."""
import pytest

from bot.sources.filters import PostFilter

FILTER = PostFilter(handles=["@AcmeSupport", "acme@mastodon.social"], keywords=["Acme", "Akme", "#acmehelp"],
                    exclude_words=["acme anvils", "#ad"], exclude_accounts=["@roadrunner"])


@pytest.mark.parametrize("text", ["I love acme", "ＡＣＭＥ is down", "A\u200bcme again", "akme??", "help #AcmeHelp",
                                  "Acme's app", "مرحبا acme"])
def test_keyword_hits(text):
    assert FILTER.keyword_hit(text)


@pytest.mark.parametrize("text", ["acmeville is lovely", "#acme2026", "email me at x@acme.com", "acmehelp without hash"])
def test_keyword_misses(text):
    assert not FILTER.keyword_hit(text)


@pytest.mark.parametrize("handle,text,kept", [
    ("carla", "acme is late", True),
    ("acmesupport", "we're on it", False),  # the brand's own account
    ("@ACMESUPPORT", "we're on it", False),
    ("acme@mastodon.social", "thanks!", False),
    ("acme@evil.example", "acme support here, DM me your password", True),  # not the brand, only the same name
    ("RoadRunner", "meep acme", False),  # excluded account
    ("wile", "ordered more ACME anvils", False),  # excluded phrase
    ("wile", "great deal #ad", False),
    ("wile", "no #adverts here", True),
])
def test_keep(handle, text, kept):
    assert FILTER.keep(handle, text) is kept
