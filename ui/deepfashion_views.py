"""Tables and image rows of the DeepFashion page: landmarks by name, attributes by type, item images."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pandas as pd
import streamlit as st

from loaders.deepfashion_benchmarks import Benchmark
from loaders.images import read_image
from loaders.model import ImageSource, Sample, Visibility
from loaders.qa import Flag
from render.style import Style
from ui.browse import render_sample
from ui.common import escape_markdown, show_problems
from ui.i18n import t

# DeepFashion's own code for each visibility, shown beside the name so the file can be checked.
FILE_CODES = {Visibility.VISIBLE: "0", Visibility.OCCLUDED: "1", Visibility.TRUNCATED: "2"}


def enlarged(sample: Sample, long_side: int = 640) -> Sample:
    """Return a copy of a small sample scaled up so that lines and labels are drawn at screen size.

    DeepFashion images are 200 to 300 pixels wide; stretched in the browser after
    drawing, their labels would cover the garment. The tables keep the file's coordinates.
    """
    loaded = read_image(sample.image)
    if loaded.pixels is None:
        return sample
    height, width = loaded.pixels.shape[:2]
    factor = long_side / max(height, width)
    if factor <= 1.2:
        return sample
    pixels = cv2.resize(loaded.pixels, (round(width * factor), round(height * factor)),
                        interpolation=cv2.INTER_CUBIC)
    instances = []
    for instance in sample.instances:
        scaled = dataclasses.replace(instance)
        if instance.bbox is not None:
            scaled.bbox = instance.bbox * factor
        if instance.keypoints is not None:
            scaled.keypoints = instance.keypoints.copy()
            scaled.keypoints[:, :2] *= factor
        instances.append(scaled)
    return dataclasses.replace(sample, image=ImageSource(array=pixels), instances=instances)


def visibility_text(code: float) -> str:
    names = {Visibility.VISIBLE: t("visible"), Visibility.OCCLUDED: t("occluded"),
             Visibility.TRUNCATED: t("truncated"), Visibility.NOT_LABELLED: t("not labelled")}
    return names.get(Visibility(int(code)), str(code))


def instance_table(sample: Sample) -> pd.DataFrame:
    rows = []
    for instance in sample.instances:
        row = {t("instance"): instance.id, t("category"): instance.category_name}
        if instance.bbox is not None:
            row[t("box (xyxy)")] = ", ".join(f"{value:.0f}" for value in instance.bbox)
        row.update({name: str(value) for name, value in instance.fields.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def landmark_table(sample: Sample) -> pd.DataFrame:
    """Return one row per landmark or joint: its name, visibility (with the file's code) and position."""
    rows = []
    for instance in sample.instances:
        if instance.keypoints is None:
            continue
        names = instance.keypoint_schema.keypoint_names if instance.keypoint_schema else ()
        for index, (x, y, code) in enumerate(instance.keypoints.tolist()):
            rows.append({t("instance"): instance.id,
                         t("landmark"): names[index] if index < len(names) else str(index + 1),
                         t("visibility"): f"{visibility_text(code)} ({FILE_CODES.get(int(code), '?')})",
                         "x": "" if not np.isfinite(x) else f"{x:.0f}",
                         "y": "" if not np.isfinite(y) else f"{y:.0f}"})
    return pd.DataFrame(rows)


def attribute_table(sample: Sample) -> pd.DataFrame:
    return pd.DataFrame([{t("attribute type"): kind, t("positive attributes"): ", ".join(names)}
                         for kind, names in sample.labels.items()])


def show_details(sample: Sample, with_attributes: bool = True) -> None:
    """Show the instance, landmark and attribute tables of a sample."""
    st.text(sample.id)
    details = {t("split"): sample.split, **{name: str(value) for name, value in sample.fields.items()}}
    st.dataframe(pd.DataFrame([details]), hide_index=True)
    if sample.instances:
        st.dataframe(instance_table(sample), hide_index=True)
    landmarks = landmark_table(sample)
    if len(landmarks):
        st.dataframe(landmarks, hide_index=True)
    if sample.labels:
        st.markdown(f"**{t('Attributes by type')}**")
        st.dataframe(attribute_table(sample), hide_index=True)
    elif with_attributes:
        st.caption(t("No positive attributes listed for this sample."))


def show_image_row(samples: list[Sample], style: Style, per_row: int = 4) -> np.ndarray | None:
    """Show samples side by side, each with its file name, split and pose or source type; return the first drawing."""
    first = None
    for start in range(0, len(samples), per_row):
        columns = st.columns(per_row)
        for column, sample in zip(columns, samples[start:start + per_row]):
            with column:
                picture = render_sample(enlarged(sample), style)
                first = picture if first is None else first
                st.image(picture, width="stretch")
                fields = sample.instances[0].fields if sample.instances else {}
                kind = fields.get("pose_type") or fields.get("source_type") or ""
                st.text(f"{sample.id}\n{sample.split} · {kind}")
                show_problems(sample.problems)
    return first


def show_flags(flags: list[Flag]) -> None:
    for flag in flags:
        st.warning(escape_markdown(f"{flag.check_id}: {flag.instance_id} {flag.detail}"), icon=":material/flag:")


def show_main_image(sample: Sample, style: Style, flags: list[Flag]) -> np.ndarray:
    """Draw the sample, show it with its problems and quality flags beneath, and return the drawing."""
    picture = render_sample(enlarged(sample), style)
    st.image(picture, width="stretch")
    show_problems(sample.problems)
    show_flags(flags)
    return picture


def show_sample(dataset: Benchmark, sample: Sample, style: Style, high_resolution: bool = False,
                flags: list[Flag] = ()) -> np.ndarray:
    """Show a sample the way its benchmark needs: alone, with its item's images, or beside its shop images.

    Returns the drawing of the sample's own image, for the PNG export.
    """
    if dataset.key == "inshop":
        st.subheader(t("Item {item}: all its images", item=sample.fields.get("item_id", "")))
        picture = show_image_row([sample, *dataset.related(sample, high_resolution)], style)
        show_flags(flags)
        show_details(sample)
        return picture
    if dataset.key == "consumer2shop":
        consumer_column, shop_column = st.columns(2)
        with consumer_column:
            st.markdown(f"**{t('Consumer image')}**")
            picture = show_main_image(sample, style, flags)
        with shop_column:
            st.markdown(f"**{t('Shop images of the same item')}**")
            shops = dataset.related(sample)
            if shops:
                show_image_row(shops, style, per_row=min(len(shops), 2))
            else:
                st.info(t("No shop image is paired with this consumer image."))
        show_details(sample)
        return picture
    image_column, info_column = st.columns([3, 2])
    with image_column:
        picture = show_main_image(sample, style, flags)
    with info_column:
        show_details(sample, with_attributes=dataset.key != "landmark_detection")
    return picture
