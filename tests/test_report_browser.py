"""The report in a real headless Chromium: what renders, wide and narrow, and that untrusted text never runs."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import syndup
from syndup.report import page_name, write_report

from .conftest import SEEDS
from .test_report import BIDI_ORIGIN, ORIGIN_ID, PAYLOADS, bidi_corpus, hostile_corpus

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (installed by .ci/run)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.TemporaryDirectory(prefix="syndup-chromium-")
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={profile.name}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        profile.cleanup()


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(syndup.scan(SEEDS), tmp_path_factory.mktemp("browser-seed") / "report").parent


def visit(driver: Any, path: Path, width: int = 1400, height: int = 1000) -> None:
    driver.set_window_size(width, height)
    driver.get(path.as_uri())
    driver.get_log("browser")  # start each page with an empty console


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def no_requests(driver: Any) -> bool:
    return driver.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_seed_cluster_page_renders_side_by_side_and_inline(browser: Any, seed_report: Path, tmp_path: Path):
    from selenium.webdriver.common.by import By

    page = seed_report / page_name(ORIGIN_ID)
    visit(browser, page)
    link_rows = browser.find_elements(By.CSS_SELECTOR, "#copy-1 .row.k-link_substitution .cell.new ins")
    shown = [e.text for e in link_rows if e.is_displayed()]
    assert sum(t.startswith("Click here") for t in shown) == 4
    old = browser.find_element(By.CSS_SELECTOR, "#copy-1 .row.k-truncation .cell.old del")
    assert old.is_displayed() and old.text.startswith("Russia urges US comment")
    assert old.value_of_css_property("text-decoration-line") == "line-through"
    inline = browser.find_element(By.CSS_SELECTOR, "#copy-1 .row.k-truncation .cell.inline")
    assert not inline.is_displayed()
    new_cell = browser.find_element(By.CSS_SELECTOR, "#copy-1 .row.k-link_substitution .cell.new")
    assert new_cell.location["x"] > old.location["x"] + 300  # copy column beside the origin column

    # Boilerplate and attribution fold away, labelled, and open on a click.
    fold = browser.find_element(By.CSS_SELECTOR, "#copy-1 details.fold.k-boilerplate")
    summary = fold.find_element(By.TAG_NAME, "summary")
    assert summary.is_displayed() and "boilerplate added" in summary.text.lower()
    disclaimer = fold.find_element(By.CSS_SELECTOR, ".cell.new ins")
    assert not disclaimer.is_displayed()
    summary.click()
    assert disclaimer.is_displayed() and disclaimer.text.startswith("Disclaimer:")
    attribution = browser.find_element(By.CSS_SELECTOR, "#copy-1 details.fold.k-attribution summary")
    assert "attribution added" in attribution.text.lower()

    # Quote style is not a change: the quoted paragraph has no marks.
    kept = [r for r in browser.find_elements(By.CSS_SELECTOR, "#copy-1 .row.r-kept")
            if "We did not target a mosque" in r.text]
    assert len(kept) == 1 and not kept[0].find_elements(By.CSS_SELECTOR, "ins, del")

    # The page's own script ran (it reveals the view buttons); nothing was fetched, nothing failed.
    assert browser.find_element(By.CSS_SELECTOR, "p.views").is_displayed()
    assert no_requests(browser)
    assert console_errors(browser) == []
    shot = tmp_path / "seed-cluster-wide.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # A phone-width window shows one inline column instead.
    visit(browser, page, 390, 844)
    inline = browser.find_element(By.CSS_SELECTOR, "#copy-1 .row.k-truncation .cell.inline")
    assert inline.is_displayed()
    assert inline.find_element(By.TAG_NAME, "del").text.startswith("Russia urges US comment")
    assert not browser.find_element(By.CSS_SELECTOR, "#copy-1 .row.k-truncation .cell.old").is_displayed()
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390 + 1  # no sideways scrolling on a phone
    shot = tmp_path / "seed-cluster-narrow.png"
    assert browser.save_screenshot(str(shot))

    # The view buttons switch layout by hand.
    browser.find_element(By.CSS_SELECTOR, "button[data-view='sbs']").click()
    assert browser.find_element(By.CSS_SELECTOR, "#copy-1 .row.k-truncation .cell.old").is_displayed()


def test_index_lists_clusters_and_filters(browser: Any, seed_report: Path, tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    visit(browser, seed_report / "index.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "#clusters tbody tr")
    assert len(rows) == 1 and rows[0].is_displayed()
    assert ORIGIN_ID in rows[0].text
    box = browser.find_element(By.ID, "filter")
    box.send_keys("no such cluster")
    assert not rows[0].is_displayed()
    assert browser.find_element(By.ID, "shown").text == "0"
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(ORIGIN_ID[:6])  # typing over the selection fires an input event
    assert rows[0].is_displayed()
    assert no_requests(browser) and console_errors(browser) == []
    assert browser.save_screenshot(str(tmp_path / "seed-index.png"))
    rows[0].find_element(By.CSS_SELECTOR, "a.origin").click()
    assert browser.current_url.endswith(page_name(ORIGIN_ID))


def test_untrusted_text_never_runs(browser: Any, tmp_path: Path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    result = syndup.scan(hostile_corpus())
    index = write_report(result, tmp_path / "report")
    pages = sorted(index.parent.glob("*.html"), key=lambda p: p.name.startswith("c-"))  # the cluster page last
    assert len(pages) == 5  # index, the cluster, and (the origin has a site) network, sites and the site's page
    for path in pages:
        visit(browser, path)
        for button in browser.find_elements(By.CSS_SELECTOR, "button[data-folds='open']"):
            button.click()
        assert browser.execute_script("return typeof window.__pwned") == "undefined", path.name
        assert browser.title != "pwned"
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018 - an alert would be a script that ran
        assert not browser.find_elements(By.CSS_SELECTOR, "img, svg:not(.timeline):not(.network), iframe, marquee, "
                                                          "a[href^='javascript' i]")
        assert len(browser.find_elements(By.TAG_NAME, "script")) == 1
        assert no_requests(browser)
        assert console_errors(browser) == []
    body = browser.find_element(By.TAG_NAME, "body").text
    for payload in PAYLOADS:
        assert payload in body, payload  # shown literally, on screen
    url = browser.find_element(By.CSS_SELECTOR, "#origin dd.url")
    assert url.text == "javascript:window.__pwned=7"
    assert not url.find_elements(By.TAG_NAME, "a")
    for link in browser.find_elements(By.TAG_NAME, "a"):
        assert link.get_attribute("href").startswith("file:")  # only the report's own pages
    assert browser.save_screenshot(str(tmp_path / "hostile.png"))


#: Whether `word`, in the text under `selector`, is laid out left to right (None if it is not there):
#: its first letter left of its last, as a reader sees it.
LEFT_TO_RIGHT = """
const [selector, word] = arguments;
const walker = document.createTreeWalker(document.querySelector(selector), NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode, i = node.data.indexOf(word);
  if (i < 0) { continue; }
  const left = (k) => { const r = document.createRange(); r.setStart(node, k); r.setEnd(node, k + 1);
                        return r.getBoundingClientRect().left; };
  return left(i) < left(i + word.length - 1);
}
return null;
"""


def test_bidi_overrides_are_shown_isolated_and_never_run(browser: Any, tmp_path: Path):
    from selenium.webdriver.common.by import By

    index = write_report(syndup.scan(bidi_corpus()), tmp_path / "report")
    page = index.parent / page_name(BIDI_ORIGIN)
    for path in (index, page):
        visit(browser, path)
        assert browser.execute_script("return typeof window.__pwned") == "undefined", path.name
        assert len(browser.find_elements(By.TAG_NAME, "script")) == 1
        assert no_requests(browser) and console_errors(browser) == []
    # A right-to-left override in a site does not turn the rest of the sentence around it backwards,
    # nor the end of an id ("invoice<RLO>fdp.exe" would read "invoiceexe.pdf").
    assert browser.execute_script(LEFT_TO_RIGHT, "p.stats", "origin chosen by") is True
    assert browser.execute_script(LEFT_TO_RIGHT, "#origin dd.doc-id", "fdp.exe") is True
    origin_id = browser.find_element(By.CSS_SELECTOR, "#origin dd.doc-id")
    assert origin_id.text == "invoice<U+202E>fdp.exe"
    assert origin_id.find_element(By.TAG_NAME, "bdi").value_of_css_property("unicode-bidi") == "isolate"
    assert "and\u2400 rings a bell\u2407" in browser.find_element(By.CSS_SELECTOR, "#origin .text").get_attribute(
        "textContent")
    assert browser.save_screenshot(str(tmp_path / "bidi.png"))


@pytest.fixture(scope="module")
def big_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated scan of 250 clusters (2 to 4 articles each), its largest clusters diffed up to 40 copies."""
    from .indexkit import copy_text, synthetic

    records = []
    for c in range(250):
        origin = synthetic(f"o{c}", paragraphs=4)
        title = PAYLOADS[1] if c == 248 else f"Story number {c}"
        records.append({"id": f"o{c:03d}", "text": origin, "title": title, "site": f"s{c % 9}.example",
                        "published": f"2024-01-{1 + c % 28:02d}"})
        for k in range(1 + (c % 5 == 0) + (c % 25 == 0)):
            records.append({"id": f"o{c:03d}-copy{k}", "text": copy_text(origin, f"c{c}-{k}"),
                            "site": f"t{(c + k) % 13}.example", "published": f"2024-02-{1 + c % 28:02d}"})
    result = syndup.scan(records, jobs=2)
    assert len(result.clusters[result.clusters["size"] > 1]) == 250
    return write_report(result, tmp_path_factory.mktemp("browser-big") / "report", max_copies=40, jobs=2).parent


def visible_rows(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By

    return [r for r in driver.find_elements(By.CSS_SELECTOR, "#clusters tbody tr") if r.is_displayed()]


def column(driver: Any, n: int, part: str = "*") -> list[str]:
    """The text of column `n` (from 1) of the rows shown, top to bottom (of its `part`, a selector)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#clusters tbody tr')).filter(r => !r.hidden)"
        ".map(r => arguments[1] === '*' ? r.cells[arguments[0] - 1].textContent"
        " : r.cells[arguments[0] - 1].querySelector(arguments[1]).textContent)", n, part)


def test_big_index_pages_sorts_and_filters(browser: Any, big_report: Path, tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    visit(browser, big_report / "index.html")
    assert len(browser.find_elements(By.TAG_NAME, "script")) == 1
    assert browser.find_element(By.ID, "n-clusters").text == "250"
    assert browser.find_element(By.ID, "shown").text == "250"
    assert "smaller clusters list their members" in browser.find_element(By.ID, "undiffed").text
    rows = visible_rows(browser)
    assert len(rows) == 100 and browser.find_element(By.ID, "page").text == "page 1 of 3"
    sizes = [int(v) for v in column(browser, 2)]
    assert sizes[:10] == [4] * 10 and sizes == sorted(sizes, reverse=True)  # largest first

    # Paging: the next 100, then the last 50; each page's rows are new ones.
    first_page = column(browser, 1)
    browser.find_element(By.ID, "next").click()
    assert browser.find_element(By.ID, "page").text == "page 2 of 3"
    assert len(visible_rows(browser)) == 100 and not set(column(browser, 1)) & set(first_page)
    browser.find_element(By.ID, "next").click()
    assert len(visible_rows(browser)) == 50
    assert browser.find_element(By.ID, "page").text == "page 3 of 3"

    # Sorting by a column heading: origin ids ascending, then descending; size, then the other way.
    browser.find_element(By.CSS_SELECTOR, "th[data-key=origin] button").click()
    assert browser.find_element(By.ID, "page").text == "page 1 of 3"
    origins = column(browser, 3, "a.origin")
    assert origins == sorted(origins) and origins[0] == "o000"
    assert browser.find_element(By.CSS_SELECTOR, "th[data-key=origin]").get_attribute("aria-sort") == "ascending"
    browser.find_element(By.CSS_SELECTOR, "th[data-key=origin] button").click()
    assert column(browser, 3, "a.origin")[:2] == ["o249", "o248"]
    browser.find_element(By.CSS_SELECTOR, "th[data-key=size] button").click()  # numbers: largest first
    assert [int(v) for v in column(browser, 2)][:11] == [4] * 10 + [3]
    browser.find_element(By.CSS_SELECTOR, "th[data-key=size] button").click()
    assert [int(v) for v in column(browser, 2)] == [2] * 100
    assert browser.find_element(By.CSS_SELECTOR, "th[data-key=size]").get_attribute("aria-sort") == "ascending"

    # Filtering: every word must match; the count, the pager and the sort order follow.
    box = browser.find_element(By.ID, "filter")
    box.send_keys("s3.example")
    shown = column(browser, 4)
    assert browser.find_element(By.ID, "shown").text == str(len([c for c in range(250) if c % 9 == 3])) == "28"
    assert len(shown) == 28 and all("s3.example" in s for s in shown)
    assert not browser.find_element(By.CSS_SELECTOR, "p.pager").is_displayed() or \
        browser.find_element(By.ID, "page").text == "page 1 of 1"
    box.send_keys(" 2024-01-04")
    assert column(browser, 3, "a.origin") == ["o003"]  # the only one of site s3 first published that day
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("o248")  # its title is markup (a row the script built, on page 3): shown as text
    (row,) = visible_rows(browser)
    assert PAYLOADS[1] in row.text and not row.find_elements(By.TAG_NAME, "img")
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    assert no_requests(browser) and console_errors(browser) == []
    assert browser.save_screenshot(str(tmp_path / "big-index.png"))

    # A cluster past the copy budget has a page that lists its members without diffs.
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("o249")
    (row,) = visible_rows(browser)
    row.find_element(By.CSS_SELECTOR, "a.origin").click()
    assert browser.current_url.endswith(page_name("o249"))
    assert "Diff not written" in browser.find_element(By.CSS_SELECTOR, "#copy-1 .not-diffed").text
    assert console_errors(browser) == []
