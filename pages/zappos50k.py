"""UT-Zappos50K: browse the shoe catalogue by Category / SubCategory / Brand, and view the pairwise comparisons."""

from pathlib import Path

import pandas as pd
import streamlit as st

from loaders.images import placeholder
from loaders.model import Sample
from loaders.zappos50k import ATTRIBUTES, COMPARISONS, LABEL_SETS, ZapposDataset, confidence_text
from render.style import Style
from ui.browse import render_sample, sample_navigator
from ui.common import dataset_root, init_state, query_default, show_problems, sync_query
from ui.i18n import t

ALL = "*"
RELATION = {1: ">", 2: "<", 3: "="}


@st.cache_resource(show_spinner=False)
def open_dataset(root: str, image_folder: str | None) -> ZapposDataset:
    dataset = ZapposDataset(Path(root), image_folder)
    dataset.catalogue()
    return dataset


def choose(label: str, options: list[str], key: str, query_name: str) -> str:
    options = [ALL, *options]
    init_state(key, query_default(query_name, ALL) if query_default(query_name) in options else ALL)
    if st.session_state[key] not in options:
        st.session_state[key] = ALL  # the choice above it changed and this value is gone
    value = st.sidebar.selectbox(label, options, key=key, format_func=lambda v: t("(all)") if v == ALL else v)
    sync_query(**{query_name: "" if value == ALL else value})
    return value


def show_shoe(sample: Sample, caption: str) -> None:
    st.image(render_sample(sample, Style(legend=False)), caption=caption, width="stretch")
    st.text(sample.fields.get("listed path", ""))
    if sample.fields.get("on disk"):
        st.caption(t("Found on disk as:"))
        st.text(sample.fields["on disk"])
    show_problems(sample.problems)


def show_image_number(number: int, caption: str) -> None:
    row = dataset.image_number(number)
    if row is None:
        tile = placeholder(408, 306, ["image number not listed", str(number)])  # OpenCV's fonts draw ASCII only
        st.image(tile, caption=caption, width="stretch")
        st.warning(t("Image number {number} is not in image-path.mat.", number=number))
        return
    show_shoe(dataset.sample(row), f"{caption}: {number} · {row['CID']}")


st.title("UT-Zappos50K")
choice = dataset_root("zappos50k")
if choice.path is None:
    st.error(t("No UT-Zappos50K folder found. Set {variable}.", variable=choice.family.env_var))
    st.stop()
root = str(choice.path)
folders = ZapposDataset(Path(root)).image_folders
image_folder = st.sidebar.selectbox(t("Image folder"), folders, key="zap_folder") if len(folders) > 1 else None
dataset = open_dataset(root, image_folder)
missing = dataset.missing_files()
if missing is not None:
    st.error(str(missing))
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
    for column, query_name in (("Category", "category"), ("SubCategory", "subcategory"), ("Brand", "brand")):
        value = choose(column, sorted(set(rows[column])), f"zap_{query_name}", query_name)
        if value != ALL:
            rows = rows[rows[column] == value]
    ids = list(rows["CID"])
    cid = sample_navigator("zap", ids)
    if cid is not None:
        sample = dataset.sample(rows.iloc[ids.index(cid)])
        image_column, info_column = st.columns([2, 3])
        with image_column:
            show_shoe(sample, t("image {number}", number=sample.fields["index"]) if sample.fields["index"] else cid)
        with info_column:
            if sample.labels:
                st.dataframe(pd.DataFrame({"field": list(sample.labels), "values": list(sample.labels.values())}),
                             hide_index=True)
            else:
                st.info(t("meta-data.csv has no row for CID {cid}.", cid=cid))
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
    table = comparisons.table
    pair = sample_navigator("zap_pair", [str(row) for row in table["row"]], label=t("Pair (of {count})",
                                                                                     count=len(table)))
    if pair is not None:
        row = table.iloc[int(pair) - 1]
        word = COMPARISONS.get(int(row["comparison"]), str(row["comparison"]))
        left, middle, right = st.columns([5, 3, 5])
        with left:
            show_image_number(int(row["image1"]), t("image 1"))
        with middle:
            relation = RELATION.get(int(row["comparison"]), "?")
            st.markdown(f"#### {t('image 1')} {relation} {t('image 2')}")
            st.text(f"{attribute}: {word}")
            confidence, confidence_label = confidence_text(float(row["confidence"]))
            st.metric(t("Confidence"), confidence)
            st.caption(confidence_label)
            st.metric(t("Agreement"), f"{float(row['agreement']):.0%}")
        with right:
            show_image_number(int(row["image2"]), t("image 2"))
        with st.expander(t("All pairs of this set and attribute")):
            st.dataframe(table, hide_index=True)

with st.expander(t("Listed paths not found on disk")):
    if st.toggle(t("Check every listed path"), value=len(catalogue) <= 5000, key="zap_check_paths"):
        unresolved = dataset.unresolved_paths()
        not_found = unresolved[unresolved["found"] == "missing"]
        st.caption(t("{missing} of {total} listed images not found; {renamed} found under another spelling.",
                     missing=len(not_found), total=len(catalogue), renamed=len(unresolved) - len(not_found)))
        st.dataframe(unresolved, hide_index=True)
