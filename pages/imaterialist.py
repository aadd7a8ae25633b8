"""iMaterialist: 2018 image labels grouped by task, and 2019/2020 masks with category and attribute names."""

import re
import textwrap
from pathlib import Path

import numpy as np
import plotly.express as px
import streamlit as st

from loaders.images import placeholder
from loaders.imaterialist import Release, find_releases, instance_table, label_table, open_release
from render.style import Style
from ui.browse import render_sample, sample_navigator, show_sample_image
from ui.common import (
    dataset_root,
    escape_markdown,
    init_state,
    query_default,
    show_problems,
    style_controls,
    sync_query,
)
from ui.i18n import N_, t


@st.cache_resource(show_spinner=False)
def open_reader(folder: str, kind: str):
    return open_release(Release(Path(folder).name, Path(folder), kind))


KIND_TEXT = {"labels": N_("image labels"), "masks": N_("masks")}


def missing_tile(sample) -> np.ndarray:
    lines = [t("Image not downloaded"), f"imageId {sample.id}", *textwrap.wrap(sample.image.url, 56)]
    for task, names in sample.labels.items():
        lines.extend(textwrap.wrap(f"{task}: {', '.join(names)}", 56))
    return placeholder(480, 40 + 22 * len(lines), lines)


def choose_split(splits: list[str], key: str) -> str:
    init_state(key, query_default("split") if query_default("split") in splits else splits[0])
    split = st.sidebar.selectbox(t("Split"), splits, key=key)
    sync_query(split=split)
    return split


def show_labels(reader, key: str) -> None:
    splits = reader.splits()
    if not splits:
        st.error(t("No split file (train.json, validation.json, test.json) in {folder}.",
                   folder=escape_markdown(str(reader.folder))))
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
    positions = reader.filter_positions(split, chosen, require_all)
    ids = reader.filter_ids(split, chosen, require_all)
    if chosen:
        st.caption(t("{count} images match the filters.", count=len(ids)))

    browse_tab, chart_tab = st.tabs([t("Images"), t("Label frequency")])
    with browse_tab:
        sample_id = sample_navigator(key, ids)
        if sample_id is not None:
            sample = reader.load_sample(split, sample_id)
            image_column, info_column = st.columns([3, 2])
            with image_column:
                if sample.image.path is None:
                    st.image(missing_tile(sample), width="content")
                    st.caption(t("This image is not in the dataset folder; it was published at the URL below."))
                else:
                    st.image(render_sample(sample, Style(legend=False)), width="content")
                show_problems(sample.problems)
            with info_column:
                if sample.labels:
                    st.dataframe(label_table(sample), hide_index=True)
                st.text(sample.image.url)
    with chart_tab:
        counted = reader.label_counts(split, positions if chosen else None)
        counted = counted[counted.images > 0].sort_values("images", ascending=False)
        if counted.empty:
            st.info(t("No labels to count in {split}.", split=escape_markdown(split)))
        else:
            figure = px.bar(counted, x="label", y="images", color="task", hover_data=["label_id"],
                            category_orders={"label": counted.label.tolist()},
                            title=t("Images per label ({count} images)", count=len(ids)))
            st.plotly_chart(figure, width="stretch")


def show_masks(reader, key: str) -> None:
    show_problems(reader.problems)
    splits = reader.splits()
    ids = []
    if not splits:
        st.info(t("No train.csv and no image folder in {folder}: only the names of its categories and "
                  "attributes are shown.", folder=escape_markdown(str(reader.folder))))
    else:
        split = choose_split(splits, f"{key}_split")
        style = style_controls(key, keypoints=False)
        ids = reader.sample_ids(split)
        if split == "train" and reader.index.image_ids:
            with st.sidebar.expander(t("Filters")):
                labels = reader.labels
                counts = reader.category_counts()
                chosen_categories = st.multiselect(t("Category"), counts.category_id[counts.instances > 0].tolist(),
                                                   format_func=labels.category_name, key=f"{key}_categories")
                used = sorted(set(reader.index.attribute_values.tolist()))
                chosen_attributes = st.multiselect(t("Attribute"), used, key=f"{key}_attributes",
                                                   format_func=lambda value: f"{value} {labels.attribute_name(value)}")
            if chosen_categories or chosen_attributes:
                ids = reader.filter_ids(chosen_categories, chosen_attributes)
                st.caption(t("{count} images match the filters.", count=len(ids)))

        sample_id = sample_navigator(key, ids)
        if sample_id is not None:
            sample = reader.load_sample(split, sample_id)
            image_column, info_column = st.columns([3, 2])
            with image_column:
                show_sample_image(sample, style)
            with info_column:
                st.text(str(sample.image.path))
                if sample.instances:
                    st.text(t("{count} masks, {width} x {height} pixels in train.csv", count=len(sample.instances),
                              width=sample.width or "?", height=sample.height or "?"))
            if sample.instances:
                st.dataframe(instance_table(sample), hide_index=True)
            else:
                st.info(t("No masks for this image in train.csv."))

    source = escape_markdown(reader.labels.source)
    with st.expander(t("Categories and attributes of this release ({source})", source=source), expanded=not ids):
        left, right = st.columns(2)
        left.dataframe(reader.labels.frame("categories"), hide_index=True)
        right.dataframe(reader.labels.frame("attributes"), hide_index=True)


st.title("iMaterialist")
choice = dataset_root("imaterialist")
if choice.path is None:
    st.error(t("No iMaterialist folder found. Set {variable}.", variable=escape_markdown(choice.family.env_var)))
    st.stop()
releases = {release.name: release for release in find_releases(choice.path)}
if not releases:
    st.error(t("{root} has no iMaterialist files: expected train.json and a label map (2018), or train.csv and "
               "label_descriptions.json (2019, 2020), in the folder or in one subfolder per year.",
               root=escape_markdown(str(choice.path))))
    st.stop()

names = list(releases)
init_state("imat_release", query_default("release") if query_default("release") in names else names[0])
name = st.sidebar.selectbox(t("Release"), names, key="imat_release",
                            format_func=lambda value: f"{value} ({t(KIND_TEXT[releases[value].kind])})")
sync_query(release=name)
release = releases[name]
reader = open_reader(str(release.path), release.kind)
page_key = "imat_" + re.sub(r"\W", "_", name)
if release.kind == "labels":
    show_labels(reader, page_key)
else:
    year = escape_markdown(reader.year) or t("unknown")
    if reader.csv_columns:
        st.caption(t("Release year: {year}", year=year))
    else:
        st.caption(t("Release year: {year} (guessed from the folder name)", year=year))
    show_masks(reader, page_key)
