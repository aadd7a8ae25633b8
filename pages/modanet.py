"""ModaNet: garment masks in 13 categories, file bbox mismatches, predictions, quality checks, verdicts, statistics."""

import dataclasses
from pathlib import Path

import streamlit as st

from loaders.coco import instance_table
from loaders.modanet import ModaNetDataset, file_box_instances, images_with_box_mismatch
from ui.browse import render_sample, sample_navigator
from ui.coco_quality import coco_quality, coco_statistics, narrow, review_and_export, show_flags
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
from ui.predictions import prediction_controls, show_predictions


@st.cache_resource(show_spinner=False)
def open_dataset(root: str) -> ModaNetDataset:
    return ModaNetDataset(Path(root))


@st.cache_resource(show_spinner=False)
def open_split(root: str, split: str):
    with progress_bar(t("Reading the annotations of {split}...", split=split)) as report:
        return open_dataset(root).open(split, report).load()


@st.cache_resource(show_spinner=False)
def mismatch_ids(root: str, split: str) -> list[int]:
    with progress_bar(t("Comparing every bbox with its polygons...")) as report:
        return images_with_box_mismatch(open_split(root, split), report)


st.title("ModaNet")
choice = dataset_root("modanet")
root = str(choice.path)
splits = open_dataset(root).splits()
if not splits:
    st.error(t("{root} has no annotations/modanet2018_instances_<split>.json file.", root=escape_markdown(root)))
    st.stop()

init_state("modanet_split", query_default("split") if query_default("split") in splits else splits[0])
split = st.sidebar.selectbox(t("Split"), splits, key="modanet_split")
sync_query(split=split)
coco = open_split(root, split)
style = style_controls("modanet", keypoints=False)

with st.sidebar.expander(t("Filters"), expanded=True):
    names = {category_id: label.name for category_id, label in coco.categories.items()}
    chosen = st.multiselect(t("Category"), list(names), format_func=names.get, key="modanet_categories")
    only_chosen = st.toggle(t("Draw only the chosen categories"), value=False, key="modanet_only_chosen")
    only_mismatch = st.toggle(t("Only images where a file bbox differs from its polygons"), value=False,
                              key="modanet_only_mismatch")
    show_file_boxes = st.toggle(t("Also draw the file bbox where it differs"), value=True, key="modanet_file_boxes")

st.caption(t("{images} images, {annotations} annotations in {file}.", images=len(coco.images),
             annotations=coco.annotation_count(), file=coco.path.name))
show_problems(coco.problems)
ids = coco.image_ids()
if chosen:
    table = coco.table()
    with_category = set(table.image_id[table.category_id.isin(chosen)])
    ids = [image_id for image_id in ids if image_id in with_category]
if only_mismatch:
    flagged = set(mismatch_ids(root, split))
    ids = [image_id for image_id in ids if image_id in flagged]
if chosen or only_mismatch:
    st.caption(t("{count} images match the filters.", count=len(ids)))
view = coco_quality("modanet", "modanet", root, coco, ids)
ids = narrow(ids, view, coco_statistics("modanet", coco), split)
predictions = prediction_controls("modanet", choice.path, coco)

sample_id = sample_navigator("modanet", [str(image_id) for image_id in ids])
if sample_id is None:
    st.stop()
sample = coco.load_sample(int(sample_id))
shown = [i for i in sample.instances if not (chosen and only_chosen) or i.category_id in chosen]
differs = [instance for instance in shown if instance.fields.get("bbox differs")]
style.highlight_ids = {instance.id for instance in differs} | view.highlight(split, sample_id)
drawn = dataclasses.replace(sample, instances=shown + (file_box_instances(sample) if show_file_boxes else []))
picture = render_sample(drawn, style)

if predictions is not None:
    show_predictions(predictions, sample, shown, coco, style)
else:
    image_column, info_column = st.columns([3, 2])
    with image_column:
        st.image(picture, caption=str(sample.image.path.name if sample.image.path else sample.id), width="stretch")
        show_problems(drawn.problems)
        show_flags(view, sample)
    with info_column:
        if differs:
            st.warning(t("The file bbox differs from the box of the polygons for {count} of {total} instances "
                         "(white frame). The drawn box is computed from the polygons.", count=len(differs),
                         total=len(shown)))
        if coco.annotations_state != "present":
            st.info(t("This file has no annotations; the image is shown alone."))
        elif not shown:
            st.info(t("This image has no annotations."))
if shown:
    st.dataframe(instance_table(shown), hide_index=True)
    st.caption(t("area is the file's value; in the first release it is the file bbox's width x height."))
review_and_export("modanet", "modanet", root, picture, sample, view, ids)
