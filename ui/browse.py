"""Walking through a list of sample ids, with deep links and a jump to an id."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import streamlit as st

from loaders.images import read_image
from loaders.model import Sample
from render.annotate import draw_instances
from render.style import Style
from render.tiles import placeholder
from ui.common import escape_markdown, show_problems, sync_query
from ui.i18n import t


def _jump(page_key: str, ids: Sequence[str]) -> None:
    wanted = st.session_state.get(f"{page_key}_goto", "").strip()
    if not wanted:
        return
    try:
        st.session_state[f"{page_key}_position"] = list(ids).index(wanted) + 1
        st.session_state[f"{page_key}_goto_error"] = ""
    except ValueError:
        st.session_state[f"{page_key}_goto_error"] = wanted


def sample_navigator(page_key: str, ids: Sequence[str], label: str | None = None) -> str | None:
    """Show position, previous/next and a jump-to-id box; return the chosen id.

    The ``sample`` query parameter selects the first sample when the page opens from a
    link, and the URL is kept up to date so the link can be copied at any time.
    """
    if not ids:
        st.warning(t("No samples match the current choice."))
        return None
    position_key = f"{page_key}_position"
    wanted = st.query_params.get("sample")
    if position_key not in st.session_state:
        st.session_state[position_key] = list(ids).index(wanted) + 1 if wanted in ids else 1
    elif not 1 <= st.session_state[position_key] <= len(ids):
        st.session_state[position_key] = 1

    left, middle, right = st.columns([2, 2, 3])
    with left:
        st.number_input(label or t("Sample (of {count})", count=len(ids)), min_value=1, max_value=len(ids),
                        step=1, key=position_key)
    with middle:
        st.text_input(t("Go to id"), key=f"{page_key}_goto", on_change=_jump, args=(page_key, ids),
                      placeholder=str(ids[0]))
    missing = st.session_state.get(f"{page_key}_goto_error")
    if missing:
        st.warning(t("{wanted} is not among the samples shown.", wanted=escape_markdown(missing)))
    sample_id = ids[st.session_state[position_key] - 1]
    with right:
        st.text(f"{t('Sample id')}: {sample_id}")
    sync_query(sample=sample_id)
    return sample_id


def annotated_extent(sample: Sample) -> tuple[int, int]:
    """Return the image size from the sample, else a size that contains all its annotations."""
    if sample.width and sample.height:
        return sample.width, sample.height
    right, bottom = 400.0, 300.0
    for instance in sample.instances:
        points = [poly for poly in instance.polygons]
        if instance.bbox is not None:
            points.append(instance.bbox.reshape(2, 2))
        if instance.keypoints is not None:
            points.append(instance.keypoints[:, :2])
        for array in points:
            if np.isfinite(array).any():
                right = max(right, float(np.nanmax(array[:, 0])) + 10)
                bottom = max(bottom, float(np.nanmax(array[:, 1])) + 10)
    return int(min(right, 4000)), int(min(bottom, 4000))


def render_sample(sample: Sample, style: Style, max_width: int | None = None) -> np.ndarray:
    """Read a sample's image and draw its instances; a missing image gives a labelled grey tile."""
    annotated = (sample.width, sample.height) if sample.width and sample.height else None
    loaded = read_image(sample.image, annotated_size=annotated)
    sample.problems.extend(problem for problem in loaded.problems if problem not in sample.problems)
    if loaded.pixels is None:
        lines = [t("image missing"), str(sample.id)]
        if sample.image.url:
            lines.append(sample.image.url)
        width, height = annotated_extent(sample)
        pixels = placeholder(width, height, lines)
    else:
        pixels = loaded.pixels
    picture = draw_instances(pixels, sample.instances, style)
    if max_width and picture.shape[1] > max_width:
        scale = max_width / picture.shape[1]
        picture = cv2.resize(picture, (max_width, int(picture.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    return picture


def show_sample_image(sample: Sample, style: Style, caption: str | None = None) -> None:
    """Draw a sample and show it with its problems beneath."""
    picture = render_sample(sample, style)
    st.image(picture, caption=caption, width="stretch")
    show_problems(sample.problems)
