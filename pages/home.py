"""Home page: every dataset family, where its data is read from, and a link to its page."""

from pathlib import Path

import streamlit as st

from loaders.roots import FAMILIES, configured_root
from ui.common import describe_root
from ui.i18n import t

PAGES_DIR = Path(__file__).resolve().parent

st.title("fashionviz")
st.write(t("Annotations of public fashion datasets drawn on their images, for quality checks and demos."))

for family in FAMILIES:
    choice = configured_root(family)
    page_file = PAGES_DIR / f"{family.key}.py"
    left, right = st.columns([1, 3])
    with left:
        if page_file.is_file():
            st.page_link(str(page_file), label=family.title, icon=":material/arrow_forward:")
        else:
            st.markdown(f"**{family.title}** · {t('coming')}")
    with right:
        st.text(describe_root(choice))
