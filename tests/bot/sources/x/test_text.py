"""X's weighted length, checked against twitter-text's conformance suite (conformance/validate.yml and
extract.yml of github.com/twitter/twitter-text; texts and expected figures copied from there)."""
import pytest

from bot.sources.x.text import url_spans, weighted_length

CJK = ("故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。"
       "朱雀桥边野草花，乌衣巷口夕阳斜。旧时王谢堂前燕，飞入寻常百姓家。"
       "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"
       "泪湿罗巾梦不成，夜深前殿按歌声。红颜未老恩先断，斜倚薰笼坐到明。"
       "独在异乡为异客，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。")
FAMILY = "👨\u200d👩\u200d👧\u200d👦"
PUNCTUATION = ("This is a tweet with general punctuation characters: \u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
               "\u2008\u2009\u200a\u200b ‐ ‑ ‒ – — ― ‖  ‗ ‘ ’ ‚ ‛ “ ” „ ‟ ′ ″ ‴ ‵ ‶ ‷")


@pytest.mark.parametrize("text,expected", [
    ("Hi http://test.co", 26),  # Regular Tweet with url
    ("http://test.co", 23),  # Just url
    ("285 chars-" + "xxxxxxxxxx-" * 25, 285),  # Long tweet, overflow at char index 280
    ("285 chars- http://www.twitter.com/jack " + "xxxxxxxxxx-" * 24, 299),  # url in the middle
    ("https://www.twitter.com/aloha " * 10, 240),  # 10 url string, no overflow
    (CJK, 320),  # 160 CJK char
    ("😷" * 160, 320),  # 160 emoji char
    ("the" + CJK, 323),  # 3 latin char + 160 CJK char
    ("282 chars-" + "xxxxxxxxxx-" * 24 + "xxxxxÁx", 281),  # a normalized character
    ("H🐱☺" + FAMILY, 7),  # single and double word characters, a ZWJ family as one emoji
    ("😷👾😡🔥💩", 10),  # emoji inside the basic multilingual plane
    ("🙋🏽👨\u200d🎤", 4),  # skin tone modifiers and ZWJ
    (PUNCTUATION, 110),  # General Punctuation with visible spaces
    ("randomurl" * 7 + "s.com", 68),  # a 64 character domain without protocol is no URL
    (FAMILY * 140, 280),  # 140 family emoji
    ("1\u20e3", 2),  # emoji with a leading character in the latin range
    ("Unicode 10.0 emoji: 🤪; 🧕; 🧕🏾; 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 34),
    ("Unicode 9.0 emoji: 🤠; 💃; 💃🏾", 29),
    ("\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069", 31),  # directional marks around an IDN URL
    ("ÁB", 2),  # 'Á' is normalized into 1 char
])
def test_conformance_weighted_length(text, expected):
    assert weighted_length(text) == expected


@pytest.mark.parametrize("text,urls", [
    ("test http://www.foo.org.za/foo/bar/688.1", ["http://www.foo.org.za/foo/bar/688.1"]),
    ("text http://example.com/?a=1&b=2. more", ["http://example.com/?a=1&b=2"]),
    ("See http://example.com/path_(with)_parens", ["http://example.com/path_(with)_parens"]),
    ("visit acme.com/help today", ["acme.com/help"]),  # no protocol, known TLD
    ("Node.js and example.invalidtld are not links", []),
    ("@user.com and #tag.com are not links", []),
    ("https://t.co/abcdefghijklmnopqrstuvwxyz0123456789ABCDEF toolong", []),  # t.co slug over 40
    ("\u2066\u202atest abcdef.com پاکستان http://twitter.com/\u202c\u2069", ["abcdef.com", "http://twitter.com/"]),
])
def test_conformance_url_extraction(text, urls):
    assert [text[start:end] for start, end in url_spans(text)] == urls


def test_emoji_newer_than_twitter_text_still_count_two():
    assert weighted_length("🧑\u200d🧑\u200d🧒") == 2  # Unicode 15.1 family: twitter-text-parser says 8
    assert weighted_length("🫠🇺🇦") == 4
    assert weighted_length("©") == 1 and weighted_length("©\ufe0f") == 2  # text presentation unless asked for


def test_rtl_zero_width_and_odd_text():
    assert weighted_length("مرحبا") == 5  # Arabic is in the light ranges
    assert weighted_length("a\u200bb") == 3  # a zero-width space is a character to X
    assert weighted_length("\u202eabc") == 5  # a directional override weighs 2


def test_long_domain_like_runs_do_not_backtrack_forever():
    assert weighted_length("a." * 2000) == 4000
    assert weighted_length("ab." * 1000 + "com") == 3003  # far more labels than a domain has: not a link
