"""Shared test fixtures: paths to the real sample files and an AppTest runner for pages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The real sample files live beside the project, in ../shared/realdata.
REALDATA = PROJECT_DIR.parent / "shared" / "realdata"
APP_FILE = str(PROJECT_DIR / "viz_app.py")


@pytest.fixture(autouse=True)
def isolated_cache(monkeypatch, tmp_path_factory):
    """Keep every test's indexes out of the user's cache folder."""
    monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.fail(f"real sample files not found at {REALDATA}; place ../shared beside the project")
    return REALDATA


@pytest.fixture
def run_page(monkeypatch, tmp_path):
    """Return a function that opens one page of the app with the given roots and query, and runs it.

    ``roots`` maps family keys (``"deepfashion2"``) to folders; families not named use
    the demo data, because the FASHIONVIZ_*_ROOT variables of the caller are removed.
    """
    from loaders.roots import FAMILY_BY_KEY

    for name in list(os.environ):
        if name.startswith("FASHIONVIZ_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FASHIONVIZ_REVIEWS_DIR", str(tmp_path / "reviews"))
    monkeypatch.chdir(tmp_path)

    def run(page: str, roots: dict[str, Path] | None = None, query: dict[str, str] | None = None,
            timeout: float = 60) -> AppTest:
        for key, folder in (roots or {}).items():
            monkeypatch.setenv(FAMILY_BY_KEY[key].env_var, str(folder))
        app = AppTest.from_file(APP_FILE, default_timeout=timeout)
        for name, value in (query or {}).items():
            app.query_params[name] = value
        app.run()
        if page != "home":
            app.switch_page(str(PROJECT_DIR / "pages" / f"{page}.py"))
            app.run()
        return app

    return run


def page_text(app: AppTest) -> str:
    """Return the text of every text, caption, markdown and alert element of a page run, one per line."""
    parts = [element.value for kind in ("text", "caption", "markdown", "warning", "error", "info")
             for element in app.get(kind)]
    return "\n".join(str(part) for part in parts)


@pytest.fixture
def shown_text():
    """Return ``page_text``, the function that collects the text a page run shows."""
    return page_text


@pytest.fixture
def quality_counts():
    """Return a function that reads the quality panel's table of a page run as {check id: flagged count}."""

    def counts(app: AppTest) -> dict[str, int]:
        (table,) = [frame for frame in app.sidebar.dataframe if "check" in frame.value.columns]
        return dict(zip(table.value["check"], table.value["flagged"]))

    return counts
