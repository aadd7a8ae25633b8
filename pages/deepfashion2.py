"""DeepFashion2: items with masks, boxes, landmarks and skeletons; filters; consumer-to-shop pairs."""

from pathlib import Path

import pandas as pd
import streamlit as st

from loaders.deepfashion2 import (
    ITEM_CODES,
    DeepFashion2Dataset,
    categories,
    code_text,
    counterpart_check,
    pair_partners,
)
from loaders.stats import DatasetTables, dataset_tables, instance_table
from ui.browse import render_sample, sample_navigator
from ui.common import (
    dataset_root,
    escape_markdown,
    init_state,
    progress_bar,
    query_default,
    show_problems,
    style_controls,
    sync_query,
)
from ui.i18n import t
from ui.quality import export_buttons, quality_panel, review_form
from ui.stats import statistics_panel


@st.cache_resource(show_spinner=False)
def open_dataset(root: str) -> DeepFashion2Dataset:
    return DeepFashion2Dataset(Path(root))


@st.cache_resource(show_spinner=False)
def scan_split(root: str, split: str):
    with progress_bar(t("Reading the annotations of {split}...", split=split)) as report:
        return open_dataset(root).scan(split, report)


@st.cache_resource(show_spinner=False)
def split_tables(root: str, split: str) -> DatasetTables:
    dataset = open_dataset(root)
    return dataset_tables(dataset.load_sample(split, sample_id) for sample_id in dataset.sample_ids(split))


st.title("DeepFashion2")
choice = dataset_root("deepfashion2")
root = str(choice.path)
dataset = open_dataset(root)
splits = dataset.splits()
if not splits:
    st.error(t("{root} has no <split>/annos or <split>/image folder.", root=escape_markdown(root)))
    st.stop()

with_images = [name for name in splits if (choice.path / name / "image").is_dir()] or splits
init_state("df2_split", query_default("split") if query_default("split") in splits else with_images[0])
split = st.sidebar.selectbox(t("Split"), splits, key="df2_split")
sync_query(split=split)
style = style_controls("df2")

with st.sidebar.expander(t("Filters")):
    category_names = {entry_id: entry["name"] for entry_id, entry in categories().items()}
    chosen_categories = st.multiselect(t("Category"), list(category_names), format_func=category_names.get,
                                       key="df2_categories")
    chosen_sources = st.multiselect(t("Source"), ["user", "shop"], key="df2_sources")
    chosen_codes = {field: st.multiselect(field, list(codes), format_func=lambda v, f=field: code_text(f, v),
                                          key=f"df2_{field}") for field, codes in ITEM_CODES.items()}

ids = dataset.sample_ids(split)
if chosen_categories or chosen_sources or any(chosen_codes.values()):
    items = scan_split(root, split)
    keep = pd.Series(True, index=items.index)
    if chosen_categories:
        keep &= items.category_id.isin(chosen_categories)
    if chosen_sources:
        keep &= items.source.isin(chosen_sources)
    for field, values in chosen_codes.items():
        if values:
            keep &= items[field].isin(values)
    ids = sorted(set(items.sample_id[keep]))
    st.caption(t("{count} images match the filters.", count=len(ids)))

view = quality_panel("df2", "deepfashion2", root, [(split, sample_id) for sample_id in ids],
                     dataset.load_sample, [counterpart_check(lambda: scan_split(root, split))])
if view.keys is not None:
    ids = [sample_id for _, sample_id in view.keys]
with st.expander(t("Statistics of this split"), icon=":material/bar_chart:"):
    if st.toggle(t("Compute statistics (reads every annotation of the split)"), key="df2_stats"):
        picked = statistics_panel("df2", split_tables(root, split))
        if picked is not None:
            ids = [sample_id for sample_id in ids if (split, sample_id) in picked]

sample_id = sample_navigator("df2", ids)
if sample_id is None:
    st.stop()
sample = dataset.load_sample(split, sample_id)
style.highlight_ids = view.highlight(split, sample_id)

image_column, pair_column = st.columns([3, 2])
with image_column:
    picture = render_sample(sample, style)
    st.image(picture, width="stretch")
    show_problems(sample.problems)
    if view.report is not None:
        for flag in view.report.flags_for(split, sample_id):
            st.warning(escape_markdown(f"{flag.check_id}: {flag.instance_id} {flag.detail}"), icon=":material/flag:")
with pair_column:
    st.text(f"source: {sample.fields.get('source')} · pair_id: {sample.fields.get('pair_id')}")
    st.subheader(t("Consumer-to-shop pairs"))
    if not any(isinstance(i.fields.get("style"), int) and i.fields["style"] > 0 for i in sample.instances):
        st.caption(t("No item of this image has style > 0, so it has no counterpart."))
    elif st.toggle(t("Show the other images of this pair"), value=True, key="df2_pairs"):
        for entry in pair_partners(dataset.pair_items(split, sample.fields.get("pair_id")), sample):
            if not entry.sample_id:
                st.warning(t("Counterpart missing: {note}", note=escape_markdown(entry.note)))
                continue
            partner = dataset.load_sample(split, entry.sample_id)
            st.image(render_sample(partner, style), caption=f"{entry.sample_id}: {entry.note}", width="stretch")

if sample.instances:
    st.dataframe(instance_table(sample, code_text), hide_index=True)
else:
    st.info(t("This image has no items."))
with st.expander(t("Review this sample"), icon=":material/rate_review:", expanded=True):
    review_form("df2", "deepfashion2", root, sample)
    export_buttons("df2", picture, sample, view, [(split, sample_id) for sample_id in ids])
