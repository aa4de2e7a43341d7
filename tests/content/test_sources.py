"""Served sources: the URL and title rules, and every source of the seed files (review §10)."""

from __future__ import annotations

import pytest

from content.sources import check_source_title, check_source_url, check_sources, seed_sources


def test_every_seed_source_passes() -> None:
    problems = check_sources(seed_sources())
    assert [(p.file, p.where, p.value, p.problem) for p in problems] == []


def test_the_seed_files_are_all_read() -> None:
    files = {file for file, _, _ in seed_sources()}
    assert {"checkpoints.toml", "campaigns.toml", "customs/eaeu.toml", "customs/tm.toml"} <= files


@pytest.mark.parametrize(
    "url",
    [
        "https://adilet.zan.kz/rus/docs/U2200000830",
        "https://eec.eaeunion.org/comission/department/catr/",
        "https://en.wikipedia.org/wiki/Kyzyl-Art_Pass",
        "https://tajikistan.un.org/en/185973-enhancing-border-control-and-cross-border-cooperation-brochure-2021",
    ],
)
def test_official_and_encyclopedia_urls_pass(url: str) -> None:
    assert check_source_url(url) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://customs.gov.tm/tk/info", "not https"),
        ("https://adilet.zan.kz./eng/docs/Z980000279_", "ends with a dot"),
        ("https://fanyv88.com:443/https/uz.wikipedia.org/wiki/Sarhadobod", "fanyv88.com"),
        ("https://bafybei.ipfs.dweb.link/wiki/Olot.htm", "ipfs.dweb.link"),
        ("https://bbctodays.pages.dev/uzbek/multimedia/x.shtml", "pages.dev"),
        ("https://perceptiode.com/Korday", "perceptiode.com"),
        ("https://hmong.ru/ru/Merke", "hmong.ru"),
        ("https://review.clateway.com/wiki/view_html.php?q=Kyzylart_Pass", "clateway.com"),
        ("https://friendlywiki.com/article/index.php?title=Korday", "friendlywiki.com"),
        ("https://www.oepress.ru/page.html", "oepress.ru"),
        ("https://uz.tgstat.com/fa/channel/@customschannel", "tgstat.com"),
        ("https://1395.topnews.com/ru/science/", "topnews.com"),
        ("https://tjk.125visa.com/safe/11423.html", "125visa.com"),
        ("https://russian.dbw.cn/system/2011/09/27/000405731.shtml", "dbw.cn"),
        ("https://avdeli.ru/boxberry/", "avdeli.ru"),
        ("https://limited.domodedovo.customs.gov.ru/ved", "domodedovo"),
        ("https://news.example.kz/article…", "truncated"),
        ("https://www.unodc.org/shared/reference/", "internal"),
        ("https://www.unodc.org/ centralasia", "spaces"),
        ("ftp://adilet.zan.kz/docs", "not https"),
        ("", "empty"),
    ],
)
def test_each_kind_of_bad_url_is_caught(url: str, problem: str) -> None:
    found = check_source_url(url)
    assert found is not None
    assert problem in found


def test_a_title_naming_an_internal_folder_is_caught() -> None:
    assert check_source_title("UNODC reference documents (shared/reference)")
    assert check_source_title("Enhancing Border Control and Cross-Border Cooperation") is None


def test_a_bad_url_quoted_in_a_note_is_caught() -> None:
    source = {
        "act": "Decision No. 107",
        "url": "https://eec.eaeunion.org/",
        "note": "Also on https://avdeli.ru/boxberry/x/.",
    }
    problems = check_sources([("customs/eaeu.toml", "eaeu-alcohol-entry", source)])
    assert [(p.value, "avdeli.ru" in p.problem) for p in problems] == [
        ("https://avdeli.ru/boxberry/x/", True)
    ]
