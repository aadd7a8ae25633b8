"""UT-Zappos50K: browse the shoe catalogue by Category / SubCategory / Brand, and view the pairwise comparisons."""

from pathlib import Path

import pandas as pd
import streamlit as st

from loaders.zappos50k import (
    ATTRIBUTES,
    COMPARISONS,
    LABEL_SETS,
    ZapposDataset,
    catalogue_tables,
    comparison_tables,
    pair_checks,
    pair_key,
    path_checks,
)
from render.tiles import side_by_side
from ui.browse import sample_navigator
from ui.common import dataset_root, escape_markdown, init_state, query_default, show_problems, sync_query
from ui.i18n import t
from ui.quality import export_buttons, quality_panel, review_form
from ui.stats import statistics_panel
from ui.zappos_views import (
    ALL,
    choose,
    show_comparison,
    show_flags,
    show_image_number,
    show_shoe,
    unresolved_paths_report,
)

TREE = (("Category", "category"), ("SubCategory", "subcategory"), ("Brand", "brand"))


@st.cache_resource(show_spinner=False)
def open_dataset(root: str, image_folder: str | None) -> ZapposDataset:
    dataset = ZapposDataset(Path(root), image_folder)
    dataset.catalogue()
    return dataset


def narrow(ids: list[str], picked: set[tuple[str, str]] | None, split: str) -> list[str]:
    return ids if picked is None else [sample_id for sample_id in ids if (split, sample_id) in picked]


st.title("UT-Zappos50K")
choice = dataset_root("zappos50k")
root = str(choice.path)
folders = ZapposDataset(Path(root)).image_folders
image_folder = st.sidebar.selectbox(t("Image folder"), folders, key="zap_folder") if len(folders) > 1 else None
dataset = open_dataset(root, image_folder)
missing = dataset.missing_files()
if missing is not None:
    st.error(escape_markdown(str(missing)))
    st.stop()
catalogue = dataset.catalogue()
show_problems(dataset.problems)

views = {"browse": t("Browse the catalogue"), "compare": t("Comparisons")}
init_state("zap_view", query_default("view", "browse") if query_default("view") in views else "browse")
view = st.sidebar.radio(t("View"), list(views), format_func=views.get, key="zap_view")
sync_query(view=view)

if view == "browse":
    rows = catalogue
    # Category, SubCategory and Brand are the dataset's own field names, so they are not translated.
    for column, query_name in TREE:
        value = choose(column, sorted(set(rows[column])), f"zap_{query_name}", query_name)
        if value != ALL:
            rows = rows[rows[column] == value]
    ids = list(rows["CID"])
    quality = quality_panel("zap", "zappos50k", root, [("", cid) for cid in ids], dataset.shoe_sample, path_checks())
    if quality.keys is not None:
        ids = [cid for _, cid in quality.keys]
    with st.expander(t("Statistics of the shoes shown"), icon=":material/bar_chart:"):
        if st.toggle(t("Show statistics"), key="zap_stats"):
            for column, _ in TREE:
                ids = narrow(ids, statistics_panel(f"zap_{column}", catalogue_tables(rows, column)), "")
    cid = sample_navigator("zap", ids)
    if cid is not None:
        sample = dataset.shoe_sample("", cid)
        image_column, info_column = st.columns([2, 3])
        with image_column:
            picture = show_shoe(sample, t("image {number}", number=sample.fields["index"]) if sample.fields["index"]
                                else cid)
        with info_column:
            if sample.labels:
                st.dataframe(pd.DataFrame({"field": list(sample.labels), "values": list(sample.labels.values())}),
                             hide_index=True)
            else:
                st.info(t("meta-data.csv has no row for CID {cid}.", cid=escape_markdown(str(cid))))
            show_flags(quality, "", cid)
        with st.expander(t("Review this shoe"), icon=":material/rate_review:", expanded=True):
            review_form("zap", "zappos50k", root, sample)
            export_buttons("zap", picture, sample, quality, [("", cid) for cid in ids])
else:
    label_sets = dataset.has_comparisons()
    if not label_sets:
        st.warning(t("No comparison file found: expected zappos-labels.mat or zappos-labels-fg.mat."))
        st.stop()
    init_state("zap_set", query_default("set") if query_default("set") in label_sets else label_sets[0])
    label_set = st.sidebar.selectbox(t("Label set"), label_sets, key="zap_set",
                                     format_func=lambda name: f"{name} ({'/'.join(LABEL_SETS[name])})")
    init_state("zap_attribute", query_default("attribute", "open") if query_default("attribute") in
               ATTRIBUTES.values() else "open")
    attribute = st.sidebar.radio(t("Attribute"), list(ATTRIBUTES.values()), key="zap_attribute", horizontal=True)
    sync_query(set=label_set, attribute=attribute)
    attribute_id = {name: number for number, name in ATTRIBUTES.items()}[attribute]
    comparisons = dataset.comparisons(label_set, attribute_id)
    show_problems(comparisons.problems)
    table, key = comparisons.table, pair_key(label_set, attribute_id)
    pairs = [str(row) for row in table["row"]]
    quality = quality_panel("zap_pair", "zappos50k", root, [(key, pair) for pair in pairs], dataset.pair_sample,
                            pair_checks())
    if quality.keys is not None:
        pairs = [pair for _, pair in quality.keys]
    with st.expander(t("Statistics of this set and attribute"), icon=":material/bar_chart:"):
        if st.toggle(t("Show statistics"), key="zap_pair_stats"):
            pairs = narrow(pairs, statistics_panel("zap_pair", comparison_tables(table, key)), key)
    pair = sample_navigator("zap_pair", pairs, label=t("Pair (of {count})", count=len(pairs)))
    if pair is not None:
        row = table.iloc[int(pair) - 1]
        left, middle, right = st.columns([5, 3, 5])
        with left:
            first = show_image_number(dataset, int(row["image1"]), t("image 1"))
        with middle:
            show_comparison(row, attribute, COMPARISONS.get(int(row["comparison"]), str(row["comparison"])))
            show_flags(quality, key, pair)
        with right:
            second = show_image_number(dataset, int(row["image2"]), t("image 2"))
        with st.expander(t("Review this pair"), icon=":material/rate_review:", expanded=True):
            sample = dataset.pair_sample(key, pair)
            review_form("zap_pair", "zappos50k", root, sample)
            export_buttons("zap_pair", side_by_side([first, second], 306), sample, quality,
                           [(key, pair) for pair in pairs])
        with st.expander(t("All pairs of this set and attribute")):
            st.dataframe(table, hide_index=True)

unresolved_paths_report(dataset, catalogue)
