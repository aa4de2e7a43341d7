"""What a served source may look like: the URL and title rules every seed file and
editor's source must pass (review §10).

A traveller shown a source should land on the publisher's own page: never on a proxy,
a mirror, a machine-translated copy or an aggregator, never over plain http, and never
on a title that names one of our internal folders.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: a URL quoted inside a note; trailing punctuation belongs to the sentence
_URL_IN_TEXT = re.compile(r"(?:https?|ftp)://[^\s\"'«»()]+")

#: hosts that copy, proxy or aggregate other people's pages; a subdomain counts too
DENIED_HOSTS = frozenset(
    {
        "fanyv88.com",  # a proxy that wraps any URL
        "ipfs.dweb.link",  # IPFS gateway: a snapshot, not the publisher
        "ipfs.io",
        "pages.dev",  # anyone's static site; here a copy of BBC Uzbek
        "perceptiode.com",  # machine-translated Wikipedia copies
        "perceptiofr.com",
        "perceptiopt.com",
        "hmong.ru",  # Wikipedia mirrors
        "clateway.com",
        "friendlywiki.com",
        "oepress.ru",  # scraped pages among spam
        "tgstat.com",  # a Telegram aggregator
        "topnews.com",  # a news aggregator
        "125visa.com",  # a visa agency's copy of an embassy notice
        "dbw.cn",  # a regional portal's copy of other news
        "avdeli.ru",  # a courier company's page
        "limited.domodedovo.customs.gov.ru",  # not a host of the Russian customs service
    }
)
#: words in a title or URL that name our own files, not a publication
INTERNAL_NAMES = ("shared/reference", "/work/", "file://", "localhost")
#: the seed files whose sources are served
SEED_DIR = Path(__file__).resolve().parent / "seed"


def check_source_url(url: str) -> str | None:
    """What is wrong with a source URL, or None when it may be served."""
    if not url or url != url.strip() or any(c.isspace() for c in url):
        return "the URL is empty or contains spaces"
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "the URL is not https"
    host = (parts.hostname or "").lower()
    if not host:
        return "the URL has no host"
    if host.endswith("."):
        return "the host ends with a dot"
    if "://" in url[len("https://") :]:
        return "the URL wraps another URL (a proxy)"
    denied = next((d for d in DENIED_HOSTS if host == d or host.endswith("." + d)), None)
    if denied:
        return f"{denied} is a proxy, mirror or aggregator: cite the publisher"
    if "…" in url or url.endswith("..."):
        return "the URL is truncated"
    return _internal_name(url)


def check_source_title(title: str) -> str | None:
    """What is wrong with a source's title (or act), or None."""
    if not title.strip():
        return "the title is empty"
    return _internal_name(title)


def _internal_name(text: str) -> str | None:
    lowered = text.lower()
    name = next((n for n in INTERNAL_NAMES if n in lowered), None)
    return f"names an internal location ({name}), not a publication" if name else None


@dataclass(frozen=True)
class SourceProblem:
    file: str
    where: str  # the entry's id or key
    value: str
    problem: str


def check_sources(sources: list[tuple[str, str, dict[str, Any]]]) -> list[SourceProblem]:
    """Every problem of the given (file, entry id, source) triples."""
    problems = []
    for file, where, source in sources:
        url_problem = check_source_url(str(source.get("url", "")))
        if url_problem:
            problems.append(SourceProblem(file, where, str(source.get("url", "")), url_problem))
        for name in ("title", "act"):
            if name in source:
                title_problem = check_source_title(str(source[name]))
                if title_problem:
                    problems.append(SourceProblem(file, where, str(source[name]), title_problem))
        for quoted in _URL_IN_TEXT.findall(str(source.get("note", ""))):
            quoted = quoted.rstrip(".,;:")
            quoted_problem = check_source_url(quoted)
            if quoted_problem:
                problems.append(
                    SourceProblem(file, where, quoted, f"in the note: {quoted_problem}")
                )
    return problems


def seed_sources(seed_dir: Path = SEED_DIR) -> list[tuple[str, str, dict[str, Any]]]:
    """Every source of the seed files: (file, the entry's id or key, the source table)."""
    found = []
    for path in sorted(seed_dir.rglob("*.toml")):
        with path.open("rb") as file:
            data = tomllib.load(file)
        name = str(path.relative_to(seed_dir))
        for where, source in _walk(data, ""):
            found.append((name, where, source))
    return found


def _walk(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Tables that carry a `url`, with the id, key or slug of the entry they belong to."""
    if isinstance(node, list):
        for child in node:
            yield from _walk(child, where)
    elif isinstance(node, dict):
        where = str(node.get("id") or node.get("key") or node.get("slug") or where)
        if isinstance(node.get("url"), str):
            yield where, node
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _walk(value, where)
