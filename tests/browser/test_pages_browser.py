"""Every page in headless Chromium on the demo data: no exception, a picture, widgets and deep links work."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from loaders.roots import FAMILIES
from tests.browser.conftest import ARTIFACTS

SCRIPT_TIMEOUT = 90


def wait_for_script(page: Page) -> None:
    """Wait until the app is connected, its script has stopped running and nothing is left loading."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']",
                           timeout=SCRIPT_TIMEOUT * 1000)
    deadline = time.time() + SCRIPT_TIMEOUT
    while time.time() < deadline:
        state = page.get_attribute("[data-testid='stApp']", "data-test-script-state")
        if state == "notRunning" and page.locator("[data-testid='stSkeleton']").count() == 0:
            return
        time.sleep(0.3)
    pytest.fail(f"{page.url}: the script was still running after {SCRIPT_TIMEOUT} s")


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("family", FAMILIES, ids=[family.key for family in FAMILIES])
def test_page_loads_with_a_picture(page: Page, app_url, family):
    page.goto(app_url + family.key)
    wait_for_script(page)
    time.sleep(1.0)  # let images and WebGL canvases paint
    screenshot(page, family.key)
    assert page.locator("[data-testid='stException']").count() == 0
    pictures = page.locator("[data-testid='stImage'] img, [data-testid='stFullScreenFrame'] img, "
                            ".js-plotly-plot, canvas")
    assert pictures.count() >= 1, f"{family.key}: no image or figure on the page"


def test_widget_change_updates_image(page: Page, app_url):
    page.goto(app_url + "deepfashion2?split=validation")
    wait_for_script(page)
    first = page.locator("[data-testid='stImage'] img").first.get_attribute("src")
    page.locator("[data-testid='stNumberInput'] button[data-testid='stNumberInputStepUp']").first.click()
    wait_for_script(page)
    expect(page.get_by_text("Sample id: 000002")).to_be_visible()
    assert page.locator("[data-testid='stImage'] img").first.get_attribute("src") != first
    assert re.search(r"sample=000002", page.url)


def test_deep_link_opens_sample(page: Page, app_url):
    page.goto(app_url + "deepfashion2?split=validation&sample=000008")
    wait_for_script(page)
    expect(page.get_by_text("Sample id: 000008")).to_be_visible()
    # The navigation is the app's own (titles, not file names), so viz_app.py ran.
    expect(page.locator("[data-testid='stSidebarNavLink']", has_text="Fashion-MNIST")).to_be_visible()
    screenshot(page, "deepfashion2_deep_link")


def test_chinese_interface(page: Page, app_url):
    page.goto(app_url + "deepfashion2?lang=zh-CN")
    wait_for_script(page)
    expect(page.get_by_text("数据集文件夹")).to_be_visible()
    expect(page.get_by_text("首页")).to_be_visible()
    screenshot(page, "deepfashion2_zh_CN")
