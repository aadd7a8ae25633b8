"""Views of the iMaterialist page: a 2018 release (image labels by task) and a 2019/2020 release (masks)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import streamlit as st

from loaders.imaterialist import (
    LabelRelease,
    MaskRelease,
    Release,
    instance_table,
    label_table,
    label_tables,
    mask_tables,
    open_release,
    unmapped_label_check,
)
from loaders.model import Sample
from render.style import Style
from render.tiles import placeholder
from ui.browse import render_sample, sample_navigator
from ui.common import (
    escape_markdown,
    init_state,
    progress_bar,
    query_default,
    show_problems,
    style_controls,
    sync_query,
)
from ui.i18n import t
from ui.quality import QualityView, export_buttons, quality_panel, review_form
from ui.stats import statistics_panel

FAMILY = "imaterialist"


@st.cache_resource(show_spinner=False)
def open_reader(folder: str, kind: str) -> LabelRelease | MaskRelease:
    return open_release(Release(Path(folder).name, Path(folder), kind))


@st.cache_resource(show_spinner=False)
def split_label_tables(folder: str, split: str, chosen: tuple[int, ...], require_all: bool):
    reader = open_reader(folder, "labels")
    positions = reader.filter_positions(split, chosen, require_all) if chosen else None
    return label_tables(reader, split, positions)


@st.cache_resource(show_spinner=False)
def release_mask_tables(folder: str):
    return mask_tables(open_reader(folder, "masks"))


def missing_tile(sample: Sample) -> np.ndarray:
    lines = [t("Image not downloaded"), f"imageId {sample.id}", *textwrap.wrap(sample.image.url, 56)]
    for task, names in sample.labels.items():
        lines.extend(textwrap.wrap(f"{task}: {', '.join(names)}", 56))
    return placeholder(480, 40 + 22 * len(lines), lines)


def choose_split(splits: list[str], key: str) -> str:
    init_state(key, query_default("split") if query_default("split") in splits else splits[0])
    split = st.sidebar.selectbox(t("Split"), splits, key=key)
    sync_query(split=split)
    return split


def statistics(key: str, ids: list[str], split: str, tables) -> list[str]:
    """Show the statistics expander; return ``ids`` narrowed to the samples of the clicked bars."""
    with st.expander(t("Statistics"), icon=":material/bar_chart:"):
        if st.toggle(t("Compute statistics (from the index)"), key=f"{key}_stats"):
            picked = statistics_panel(key, tables())
            if picked is not None:
                return [sample_id for sample_id in ids if (split, sample_id) in picked]
    return ids


def show_flags(view: QualityView, split: str, sample_id: str) -> None:
    if view.report is None:
        return
    for flag in view.report.flags_for(split, sample_id):
        st.warning(escape_markdown(f"{flag.check_id}: {flag.instance_id} {flag.detail}"), icon=":material/flag:")


def review_and_export(key: str, folder: str, picture: np.ndarray, sample: Sample, view: QualityView,
                      split: str, ids: list[str]) -> None:
    with st.expander(t("Review this sample"), icon=":material/rate_review:", expanded=True):
        review_form(key, FAMILY, folder, sample)
        export_buttons(key, picture, sample, view, [(split, sample_id) for sample_id in ids])


def show_labels(reader: LabelRelease, key: str) -> None:
    folder = str(reader.folder)
    splits = reader.splits()
    if not splits:
        st.error(t("No split file (train.json, validation.json, test.json) in {folder}.",
                   folder=escape_markdown(folder)))
        return
    split = choose_split(splits, f"{key}_split")
    with st.spinner(t("Reading {split}...", split=split)):
        index = reader.index(split)
    show_problems(reader.problems + index.problems)
    if not index.annotated:
        st.info(t("{split} has no annotations: images and URLs only.", split=escape_markdown(split)))

    counts = reader.label_counts(split)
    with st.sidebar.expander(t("Filter by labels"), expanded=True):
        chosen = st.multiselect(t("Labels"), counts.label_id[counts.images > 0].tolist(),
                                format_func=reader.label_map.describe, key=f"{key}_labels")
        require_all = st.radio(t("Images with"), [True, False], horizontal=True, key=f"{key}_all",
                               format_func=lambda value: t("all chosen labels") if value else t("any chosen label"))
    ids = reader.filter_ids(split, chosen, require_all)
    if chosen:
        st.caption(t("{count} images match the filters.", count=len(ids)))

    view = quality_panel(key, FAMILY, folder, [(split, sample_id) for sample_id in ids], reader.load_sample,
                         [unmapped_label_check(reader)])
    if view.keys is not None:
        ids = [sample_id for _, sample_id in view.keys]
    ids = statistics(key, ids, split, lambda: split_label_tables(folder, split, tuple(chosen), require_all))

    sample_id = sample_navigator(key, ids)
    if sample_id is None:
        return
    sample = reader.load_sample(split, sample_id)
    image_column, info_column = st.columns([3, 2])
    with image_column:
        if sample.image.path is None:
            picture = missing_tile(sample)
            st.image(picture, width="content")
            st.caption(t("This image is not in the dataset folder; it was published at the URL below."))
        else:
            picture = render_sample(sample, Style(legend=False))
            st.image(picture, width="content")
        show_problems(sample.problems)
        show_flags(view, split, sample_id)
    with info_column:
        if sample.labels:
            st.dataframe(label_table(sample), hide_index=True)
        st.text(sample.image.url)
    review_and_export(key, folder, picture, sample, view, split, ids)


def mask_filters(reader: MaskRelease, key: str, ids: list[str]) -> list[str]:
    with st.sidebar.expander(t("Filters")):
        labels = reader.labels
        counts = reader.category_counts()
        chosen_categories = st.multiselect(t("Category"), counts.category_id[counts.instances > 0].tolist(),
                                           format_func=labels.category_name, key=f"{key}_categories")
        used = sorted(set(reader.index.attribute_values.tolist()))
        chosen_attributes = st.multiselect(t("Attribute"), used, key=f"{key}_attributes",
                                           format_func=lambda value: f"{value} {labels.attribute_name(value)}")
    if not (chosen_categories or chosen_attributes):
        return ids
    ids = reader.filter_ids(chosen_categories, chosen_attributes)
    st.caption(t("{count} images match the filters.", count=len(ids)))
    return ids


def show_masks(reader: MaskRelease, key: str) -> None:
    folder = str(reader.folder)
    if not reader.index_ready:
        with progress_bar(t("Indexing train.csv (once per file version)...")) as report:
            reader.load_index(report)
    show_problems(reader.problems)
    splits = reader.splits()
    ids = []
    if not splits:
        st.info(t("No train.csv and no image folder in {folder}: only the names of its categories and "
                  "attributes are shown.", folder=escape_markdown(folder)))
    else:
        split = choose_split(splits, f"{key}_split")
        style = style_controls(key, keypoints=False)
        ids = reader.sample_ids(split)
        indexed = split == "train" and bool(reader.index.image_ids)
        if indexed:
            ids = mask_filters(reader, key, ids)
        view = quality_panel(key, FAMILY, folder, [(split, sample_id) for sample_id in ids], reader.load_sample,
                             [unmapped_label_check(reader)])
        if view.keys is not None:
            ids = [sample_id for _, sample_id in view.keys]
        if indexed:
            ids = statistics(key, ids, split, lambda: release_mask_tables(folder))
        sample_id = sample_navigator(key, ids)
        if sample_id is not None:
            show_mask_sample(reader, key, split, sample_id, style, view, ids)

    source = escape_markdown(reader.labels.source)
    with st.expander(t("Categories and attributes of this release ({source})", source=source), expanded=not ids):
        left, right = st.columns(2)
        left.dataframe(reader.labels.frame("categories"), hide_index=True)
        right.dataframe(reader.labels.frame("attributes"), hide_index=True)


def show_mask_sample(reader: MaskRelease, key: str, split: str, sample_id: str, style: Style, view: QualityView,
                     ids: list[str]) -> None:
    sample = reader.load_sample(split, sample_id)
    style.highlight_ids = view.highlight(split, sample_id)
    image_column, info_column = st.columns([3, 2])
    with image_column:
        picture = render_sample(sample, style)
        st.image(picture, width="stretch")
        show_problems(sample.problems)
        show_flags(view, split, sample_id)
    with info_column:
        st.text(str(sample.image.path))
        if sample.instances:
            st.text(t("{count} masks, {width} x {height} pixels in train.csv", count=len(sample.instances),
                      width=sample.width or "?", height=sample.height or "?"))
    if sample.instances:
        st.dataframe(instance_table(sample), hide_index=True)
    else:
        st.info(t("No masks for this image in train.csv."))
    review_and_export(key, str(reader.folder), picture, sample, view, split, ids)
