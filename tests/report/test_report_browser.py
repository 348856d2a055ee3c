"""The HTML report in headless Chromium: loads cleanly, shows the failed gate.

Skipped with the reason when Chromium, chromedriver or selenium is missing
(Debian: ``apt-get install chromium chromium-driver``; ``pip install
selenium``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.report.html import write_run_reports
from harness.run import Run

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is absent")
    driver_path = shutil.which("chromedriver")
    if not CHROMIUM.exists() or driver_path is None:
        pytest.skip("chromium or chromedriver is absent (apt-get install chromium "
                    "chromium-driver)")  # fmt: skip
    profile = tempfile.mkdtemp(prefix="cdh-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_report(browser: Any, run: Run) -> None:
    write_run_reports(run)
    browser.get((run.run_dir / "report.html").as_uri())


def test_report_loads_without_console_errors(browser: Any, failing_run: Run) -> None:
    open_report(browser, failing_run)

    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert browser.title == "ci: failed"


def test_failing_runs_report_shows_the_failed_gate(
    browser: Any, failing_run: Run
) -> None:
    from selenium.webdriver.common.by import By

    open_report(browser, failing_run)

    failed = browser.find_elements(By.CSS_SELECTOR, "#gates tr.gate-failed")
    assert [row.find_element(By.TAG_NAME, "code").text for row in failed] == [
        "error_rate < 1%"
    ]
    assert failed[0].is_displayed()
    assert "FAILED" in failed[0].text


def test_only_failed_filter_hides_passing_rows(browser: Any, failing_run: Run) -> None:
    from selenium.webdriver.common.by import By

    open_report(browser, failing_run)
    passing = browser.find_element(By.CSS_SELECTOR, "#gates tr.gate-passed")
    assert passing.is_displayed()

    browser.find_element(By.ID, "only-failed").click()

    assert not passing.is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, "#gates tr.gate-failed").is_displayed()
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
