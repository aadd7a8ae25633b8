"""fashionviz entry point: page config, interface language and navigation.

Run with ``streamlit run viz_app.py``. A dataset family whose page file
``pages/<key>.py`` exists gets that page; the others get a "coming" page.
"""

import logging
from pathlib import Path

import streamlit as st

from loaders.roots import FAMILIES
from ui.common import language_picker
from ui.i18n import t
from ui.shell import mark_shell

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

PAGES_DIR = Path(__file__).resolve().parent / "pages"

st.set_page_config(page_title="fashionviz", page_icon="👗", layout="wide")
mark_shell()
language_picker()


def coming_page(title: str):
    def show() -> None:
        st.title(title)
        st.info(t("This page is coming in a later release."))

    show.__name__ = f"coming_{title.lower().replace(' ', '_').replace('-', '_')}"
    return show


pages = [st.Page(str(PAGES_DIR / "home.py"), title=t("Home"), icon=":material/home:", default=True)]
for family in FAMILIES:
    page_file = PAGES_DIR / f"{family.key}.py"
    if page_file.is_file():
        pages.append(st.Page(str(page_file), title=family.title, url_path=family.key))
    else:
        pages.append(st.Page(coming_page(family.title), title=f"{family.title} ({t('coming')})",
                             url_path=family.key))

st.navigation(pages).run()
