"""The network and sites pages in a real headless Chromium: every node leads to a page, the table
sorts and filters, wide and narrow, and nothing is fetched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import syndup
from syndup.report import write_report

from .sitecorpus import WIRE, build
from .test_report_browser import CHROMIUM, browser, console_errors, no_requests, visit  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (installed by .ci/run)"),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records, _ = build()
    return write_report(syndup.scan(records), tmp_path_factory.mktemp("browser-network") / "report").parent


def test_network_page_nodes_all_lead_to_pages_that_lead_to_clusters(browser: Any, report: Path,  # noqa: F811
                                                                     tmp_path: Path):
    from selenium.webdriver.common.by import By

    visit(browser, report / "network.html")
    nodes = browser.find_elements(By.CSS_SELECTOR, "svg#network a.node")
    assert len(nodes) == 5  # the wire, three proxies and the aggregator; the others copy and are copied by no one
    targets = []
    for node in nodes:
        href = node.get_dom_attribute("href")  # an SVG <a>: its href property is an SVGAnimatedString
        assert href and not href.startswith(("http", "javascript")), href
        assert (report / href).is_file(), href
        targets.append(href)
        circle = node.find_element(By.TAG_NAME, "circle")
        assert circle.is_displayed() and circle.size["width"] > 5
    edges = browser.find_elements(By.CSS_SELECTOR, "svg#network line.edge")
    assert len(edges) == 4
    assert no_requests(browser) and console_errors(browser) == []
    assert browser.save_screenshot(str(tmp_path / "network-wide.png"))

    # The wire's circle is the biggest (it and proxy A have most articles) and clicking it opens its page.
    wire = next(n for n in nodes if n.text == WIRE)
    wire.find_element(By.TAG_NAME, "circle").click()
    assert browser.current_url.endswith(next(t for t in targets if t.startswith("s-wire-example")))
    links = browser.find_elements(By.CSS_SELECTOR, "#clusters a")
    assert len(links) == 24 and all((report / a.get_attribute("href").rsplit("/", 1)[-1]).is_file() for a in links)
    links[0].click()
    assert browser.find_element(By.CSS_SELECTOR, "svg.timeline").is_displayed()
    assert no_requests(browser) and console_errors(browser) == []

    visit(browser, report / "network.html", 390, 844)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390 + 1  # only the drawing scrolls
    assert browser.find_element(By.CSS_SELECTOR, "svg#network").is_displayed()
    assert browser.save_screenshot(str(tmp_path / "network-narrow.png"))
    assert no_requests(browser) and console_errors(browser) == []


def test_sites_page_sorts_and_filters(browser: Any, report: Path, tmp_path: Path):  # noqa: F811
    from selenium.webdriver.common.by import By

    visit(browser, report / "sites.html")

    def column(n: int) -> list[str]:
        return [r.find_elements(By.TAG_NAME, "td")[n].text for r in browser.find_elements(By.CSS_SELECTOR, "#sites tbody tr")
                if r.is_displayed()]

    headings = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#sites thead button")]
    articles = headings.index("articles")
    browser.find_elements(By.CSS_SELECTOR, "#sites thead button")[articles].click()
    assert column(articles) == ["24", "24", "20", "16", "12", "10", "10", "8"]  # most first, as numbers ("8" < "10")
    browser.find_elements(By.CSS_SELECTOR, "#sites thead button")[articles].click()
    assert column(articles) == ["8", "10", "10", "12", "16", "20", "24", "24"]
    assert column(0)[0] == "blog.example"
    lost = headings.index("credits lost")
    browser.find_elements(By.CSS_SELECTOR, "#sites thead button")[lost].click()
    assert column(0)[0] == WIRE and column(lost)[0] == "40"
    browser.find_element(By.ID, "filter").send_keys("outlet")
    assert sorted(column(0)) == ["outlet-a.example", "outlet-b.example"]
    assert browser.find_element(By.ID, "shown").text == "2"
    assert no_requests(browser) and console_errors(browser) == []
    assert browser.save_screenshot(str(tmp_path / "sites-wide.png"))

    visit(browser, report / "sites.html", 390, 844)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390 + 1
    assert browser.save_screenshot(str(tmp_path / "sites-narrow.png"))
    for a in browser.find_elements(By.CSS_SELECTOR, "#sites a"):
        assert (report / a.get_attribute("href").rsplit("/", 1)[-1]).is_file()
