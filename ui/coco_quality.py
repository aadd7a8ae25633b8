"""Quality panel, statistics, flags and review of a COCO page (ModaNet, Fashionpedia)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from loaders.coco import CocoInstances
from loaders.coco_quality import coco_checks, coco_tables
from loaders.model import Sample
from loaders.qa import Check
from loaders.stats import DatasetTables
from ui.common import escape_markdown, progress_bar
from ui.i18n import t
from ui.quality import QualityView, export_buttons, quality_panel, review_form
from ui.stats import statistics_panel

# Rows of the orphan-annotation table shown in the sidebar; the count above it is complete.
ORPHAN_ROWS = 1_000


@st.cache_resource(show_spinner=False)
def _checks(path: str, split: str, _coco: CocoInstances) -> list[Check]:
    return coco_checks(_coco)


@st.cache_resource(show_spinner=False)
def _tables(path: str, split: str, _coco: CocoInstances) -> DatasetTables:
    with progress_bar(t("Reading every annotation's geometry...")) as report:
        return coco_tables(_coco, report)


def coco_quality(page_key: str, family_key: str, root: str, coco: CocoInstances, ids: Sequence[int]) -> QualityView:
    """Show the quality panel over ``ids`` with the generic and COCO checks, and the file-level findings."""
    keys = [(coco.split, str(image_id)) for image_id in ids]
    view = quality_panel(page_key, family_key, root, keys, lambda split, sample_id: coco.load_sample(int(sample_id)),
                         _checks(str(coco.path), coco.split, coco))
    orphans = coco.orphans()
    if len(orphans):
        with st.sidebar.expander(t("{count} annotations name an image that is not listed", count=len(orphans)),
                                 icon=":material/link_off:"):
            st.dataframe(orphans.head(ORPHAN_ROWS), hide_index=True)
    return view


def coco_statistics(page_key: str, coco: CocoInstances) -> set[tuple[str, str]] | None:
    """Show the statistics expander; return the (split, id) keys of clicked bars, or None."""
    with st.expander(t("Statistics of this file"), icon=":material/bar_chart:"):
        if st.toggle(t("Compute statistics (reads every annotation's geometry once)"), key=f"{page_key}_stats"):
            return statistics_panel(page_key, _tables(str(coco.path), coco.split, coco))
    return None


def narrow(ids: list[int], view: QualityView, picked: set[tuple[str, str]] | None, split: str) -> list[int]:
    """Return ``ids`` narrowed to the quality view's walk and to the samples of clicked statistics bars."""
    if view.keys is not None:
        allowed = {sample_id for _, sample_id in view.keys}
        ids = [image_id for image_id in ids if str(image_id) in allowed]
    if picked is not None:
        ids = [image_id for image_id in ids if (split, str(image_id)) in picked]
    return ids


def show_flags(view: QualityView, sample: Sample) -> None:
    """Show the quality flags of one sample as warnings (flag details come from the file, so they are escaped)."""
    if view.report is None:
        return
    for flag in view.report.flags_for(sample.split, sample.id):
        st.warning(escape_markdown(f"{flag.check_id}: {flag.instance_id} {flag.detail}"), icon=":material/flag:")


def review_and_export(page_key: str, family_key: str, root: str, picture: np.ndarray, sample: Sample,
                      view: QualityView, ids: Sequence[int]) -> None:
    """Show the verdict form, the sample's verdicts and the PNG and CSV downloads."""
    with st.expander(t("Review this sample"), icon=":material/rate_review:", expanded=True):
        review_form(page_key, family_key, root, sample)
        export_buttons(page_key, picture, sample, view, [(sample.split, str(image_id)) for image_id in ids])
