"""Widgets of the UT-Zappos50K page: tree filters, a shoe with its paths, a comparison row, path report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from loaders.model import Sample
from loaders.zappos50k import ZapposDataset, confidence_text
from render.style import Style
from render.tiles import placeholder
from ui.browse import render_sample
from ui.common import escape_markdown, init_state, query_default, show_problems, sync_query
from ui.i18n import t
from ui.quality import QualityView

ALL = "*"
RELATION = {1: ">", 2: "<", 3: "="}
TILE_SIZE = (408, 306)


def choose(label: str, options: list[str], key: str, query_name: str) -> str:
    """Show a sidebar selectbox with an "(all)" entry, kept in the query string, and return the choice or ALL."""
    options = [ALL, *options]
    init_state(key, query_default(query_name, ALL) if query_default(query_name) in options else ALL)
    if st.session_state[key] not in options:
        st.session_state[key] = ALL  # the choice above it changed and this value is gone
    value = st.sidebar.selectbox(label, options, key=key, format_func=lambda v: t("(all)") if v == ALL else v)
    sync_query(**{query_name: "" if value == ALL else value})
    return value


def show_shoe(sample: Sample, caption: str) -> np.ndarray:
    """Show a shoe image with its listed path (and the spelling found on disk), and return the picture."""
    picture = render_sample(sample, Style(legend=False))
    st.image(picture, caption=caption, width="stretch")
    st.text(sample.fields.get("listed path", ""))
    if sample.fields.get("on disk"):
        st.caption(t("Found on disk as:"))
        st.text(sample.fields["on disk"])
    show_problems(sample.problems)
    return picture


def show_image_number(dataset: ZapposDataset, number: int, caption: str) -> np.ndarray:
    """Show the shoe of a 1-based image number, or a tile when the number is not in the list, and return the picture."""
    row = dataset.image_number(number)
    if row is None:
        tile = placeholder(*TILE_SIZE, [t("image number not listed"), str(number)])
        st.image(tile, caption=caption, width="stretch")
        st.warning(t("Image number {number} is not in image-path.mat.", number=number))
        return tile
    return show_shoe(dataset.sample(row), f"{caption}: {number} · {row['CID']}")


def show_comparison(row: pd.Series, attribute: str, word: str) -> None:
    """Show how image 1 compares with image 2, the workers' mean confidence and their agreement."""
    relation = RELATION.get(int(row["comparison"]), "?")
    st.markdown(f"#### {t('image 1')} {relation} {t('image 2')}")
    st.text(f"{attribute}: {word}")
    confidence, confidence_label = confidence_text(float(row["confidence"]))
    st.metric(t("Confidence"), confidence)
    st.caption(confidence_label)
    st.metric(t("Agreement"), f"{float(row['agreement']):.0%}")


def show_flags(view: QualityView, split: str, sample_id: str) -> None:
    for flag in view.report.flags_for(split, sample_id) if view.report is not None else []:
        st.warning(escape_markdown(f"{flag.check_id}: {flag.detail}"), icon=":material/flag:")


def unresolved_paths_report(dataset: ZapposDataset, catalogue: pd.DataFrame) -> None:
    """Show, on request (by default for small lists), the listed paths not found or found under another spelling."""
    with st.expander(t("Listed paths not found on disk")):
        if st.toggle(t("Check every listed path"), value=len(catalogue) <= 5000, key="zap_check_paths"):
            unresolved = dataset.unresolved_paths()
            not_found = unresolved[unresolved["found"] == "missing"]
            st.caption(t("{missing} of {total} listed images not found; {renamed} found under another spelling.",
                         missing=len(not_found), total=len(catalogue), renamed=len(unresolved) - len(not_found)))
            st.dataframe(unresolved, hide_index=True)
