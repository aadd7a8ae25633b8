"""Fashionpedia: garments and parts with attribute tags, filters, predictions, quality checks, verdicts, statistics."""

import dataclasses
from pathlib import Path

import streamlit as st

from loaders.coco import instance_matches, instance_table, matching_images
from loaders.fashionpedia import GARMENT, GARMENT_PART, FashionpediaDataset
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
def open_dataset(root: str) -> FashionpediaDataset:
    return FashionpediaDataset(Path(root))


@st.cache_resource(show_spinner=False)
def open_file(root: str, name: str):
    with progress_bar(t("Reading the annotations of {split}...", split=name)) as report:
        return open_dataset(root).open(name, report).load()


st.title("Fashionpedia")
choice = dataset_root("fashionpedia")
root = str(choice.path)
files = open_dataset(root).annotation_files()
if not files:
    st.error(t("{root} has no instances_attributes_<split>2020.json or other COCO annotation file.",
               root=escape_markdown(root)))
    st.stop()

init_state("fp_file", query_default("split") if query_default("split") in files else next(iter(files)))
name = st.sidebar.selectbox(t("Annotation file"), list(files), key="fp_file",
                            format_func=lambda key: f"{key} ({files[key].name})")
sync_query(split=name)
coco = open_file(root, name)
style = style_controls("fp", keypoints=False)

with st.sidebar.expander(t("Groups and filters"), expanded=True):
    groups = {GARMENT: st.toggle(t("Garments"), value=True, key="fp_garments"),
              GARMENT_PART: st.toggle(t("Garment parts"), value=True, key="fp_parts")}
    category_names = {category_id: label.name for category_id, label in coco.categories.items()}
    chosen_categories = st.multiselect(t("Category"), list(category_names), format_func=category_names.get,
                                       key="fp_categories")
    attribute_tags = {attribute_id: label.tag for attribute_id, label in
                      sorted(coco.attributes.items(), key=lambda item: (item[1].supercategory, item[1].name))}
    chosen_attributes = st.multiselect(t("Attribute"), list(attribute_tags), format_func=attribute_tags.get,
                                       key="fp_attributes")
    require_all = st.radio(t("An instance must have"), [False, True], horizontal=True, key="fp_require_all",
                           format_func=lambda value: t("all chosen attributes") if value else t("any of them"))
    only_matching = st.toggle(t("Draw only the instances that match"), value=True, key="fp_only_matching")

sources = {"file": t("the file's own lists"), "table": t("the release table"), "none": t("no list")}
st.caption(t("{images} images, {annotations} annotations in {file}. Categories from {categories}, attributes "
             "from {attributes}.", images=len(coco.images), annotations=coco.annotation_count(),
             file=coco.path.name, categories=sources[coco.label_source["categories"]],
             attributes=sources[coco.label_source["attributes"]]))
show_problems(coco.problems)
filtering = bool(chosen_categories or chosen_attributes)
ids = matching_images(coco.table(), chosen_categories, chosen_attributes, require_all) if filtering \
    else coco.image_ids()
if filtering:
    st.caption(t("{count} images have an instance that matches the filters.", count=len(ids)))
view = coco_quality("fp", "fashionpedia", root, coco, ids)
ids = narrow(ids, view, coco_statistics("fp", coco), name)
predictions = prediction_controls("fp", choice.path, coco)

sample_id = sample_navigator("fp", [str(image_id) for image_id in ids])
if sample_id is None:
    st.stop()
sample = coco.load_sample(int(sample_id))
shown = [instance for instance in sample.instances if groups.get(instance.group, True)
         and (not (filtering and only_matching)
              or instance_matches(instance, chosen_categories, chosen_attributes, require_all))]
style.highlight_ids = view.highlight(name, sample_id) | ({instance.id for instance in shown if instance_matches(
    instance, chosen_categories, chosen_attributes, require_all)} if filtering else set())
picture = render_sample(dataclasses.replace(sample, instances=shown), style)

if predictions is not None:
    show_predictions(predictions, sample, shown, coco, style)
else:
    image_column, info_column = st.columns([3, 2])
    with image_column:
        st.image(picture, caption=str(sample.fields.get("file_name", sample.id)), width="stretch")
        show_problems(sample.problems)
        show_flags(view, sample)
    with info_column:
        counts = {group: sum(instance.group == group for instance in sample.instances) for group in groups}
        st.caption(t("{garments} garments, {parts} garment parts; {shown} instances drawn.",
                     garments=counts[GARMENT], parts=counts[GARMENT_PART], shown=len(shown)))
        if coco.annotations_state != "present":
            st.info(t("This file has no annotations; the image is shown alone."))
        st.caption(t("Garment parts are the categories whose supercategory is garment parts, closures or "
                     "decorations (ids 27-45 in the 2020 release)."))
if shown:
    st.dataframe(instance_table(shown, coco.attributes), hide_index=True)
review_and_export("fp", "fashionpedia", root, picture, sample, view, ids)
