"""Sidebar pieces every dataset page uses: the dataset root, drawing style, problems, deep links."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import streamlit as st

from loaders.model import Problem
from loaders.roots import FAMILY_BY_KEY, PathOutsideRoots, RootChoice, configured_root, sidebar_root
from render.style import Style
from ui.i18n import LANGUAGES, N_, t
from ui.shell import require_shell

log = logging.getLogger(__name__)

SOURCE_TEXT = {
    "sidebar": N_("chosen in the sidebar"),
    "environment": N_("from {detail}"),
    "config": N_("from {detail}"),
    "demo": N_("embedded demo data (synthetic)"),
    "none": N_("nothing found"),
}


def language_picker() -> None:
    """Show the interface language choice; the ``lang`` query parameter sets its start value."""
    if "lang" not in st.session_state:
        requested = st.query_params.get("lang", "en")
        st.session_state["lang"] = requested if requested in LANGUAGES else "en"
    st.sidebar.selectbox("Language / 语言", list(LANGUAGES), key="lang", format_func=LANGUAGES.get)
    if st.session_state["lang"] != "en":
        st.query_params["lang"] = st.session_state["lang"]
    elif "lang" in st.query_params:
        del st.query_params["lang"]


def describe_root(choice: RootChoice) -> str:
    """Return one line saying which folder is read and why."""
    where = t(SOURCE_TEXT[choice.source], detail=choice.detail)
    return f"{choice.path}  ({where})" if choice.path else where


def dataset_root(family_key: str) -> RootChoice:
    """Show the root in use in the sidebar and let the user pick another folder inside the allowed roots.

    When no folder is found at all (no setting and no demo data), the page names the
    variable to set and stops, so a returned choice always has a path.
    """
    require_shell()
    family = FAMILY_BY_KEY[family_key]
    choice = configured_root(family)
    requested = st.sidebar.text_input(
        t("Dataset folder"), value="", key=f"root_{family_key}",
        placeholder=str(choice.path or ""),
        help=t("A folder inside the configured root or the demo data. Leave empty for the configured root."))
    if requested.strip():
        try:
            choice = sidebar_root(family, requested.strip())
        except (PathOutsideRoots, FileNotFoundError) as error:
            st.sidebar.error(t("Folder rejected: {error}", error=escape_markdown(str(error))))
    if choice.is_demo:
        st.info(t("Showing the embedded demo data: synthetic images in the real file format. "
                  "Set {variable} to use your copy of the dataset.", variable=family.env_var))
    st.caption(t("Data folder: {where}", where=escape_markdown(describe_root(choice))))
    if choice.path is None:
        st.error(t("No {title} folder found. Set {variable}.", title=family.title, variable=family.env_var))
        st.stop()
    return choice


def style_controls(page_key: str, keypoints: bool = True, masks: bool = True) -> Style:
    """Show the layer toggles and opacities in the sidebar and return the chosen Style.

    A page may preset any of them with ``init_state("<page_key>_<field>", value)``
    before calling this (e.g. the legend off for small images).
    """
    box = st.sidebar.expander(t("Layers"), icon=":material/layers:")
    defaults = Style()

    def toggle(field: str, label: str) -> bool:
        init_state(f"{page_key}_{field}", getattr(defaults, field))
        return box.toggle(label, key=f"{page_key}_{field}")

    def opacity(field: str, label: str) -> float:
        init_state(f"{page_key}_{field}", getattr(defaults, field))
        return box.slider(label, 0.0, 1.0, step=0.05, key=f"{page_key}_{field}")

    style = Style()
    if masks:
        style.masks = toggle("masks", t("Masks"))
        style.mask_opacity = opacity("mask_opacity", t("Mask opacity"))
        style.outlines = toggle("outlines", t("Outlines"))
    else:
        style.masks = style.outlines = False
    style.boxes = toggle("boxes", t("Boxes"))
    style.box_opacity = opacity("box_opacity", t("Box opacity"))
    if keypoints:
        style.keypoints = toggle("keypoints", t("Keypoints"))
        style.skeleton = toggle("skeleton", t("Skeleton"))
        style.keypoint_names = toggle("keypoint_names", t("Keypoint names"))
        style.keypoint_opacity = opacity("keypoint_opacity", t("Keypoint opacity"))
    else:
        style.keypoints = style.skeleton = False
    style.labels = toggle("labels", t("Labels"))
    style.attribute_tags = toggle("attribute_tags", t("Attribute tags"))
    style.label_opacity = opacity("label_opacity", t("Label opacity"))
    style.legend = toggle("legend", t("Legend"))
    color_modes = {"category": t("by category"), "instance": t("by instance")}
    style.color_by = box.radio(t("Colour"), list(color_modes), format_func=color_modes.get,
                               horizontal=True, key=f"{page_key}_color_by")
    return style


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: str) -> str:
    """Return text with every Markdown control character escaped, for st.error, st.warning and
    the like, which render Markdown: dataset text then shows literally."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def show_problems(problems: Sequence[Problem], title: str | None = None) -> None:
    """Show problems as plain text: errors in red, a lone warning in yellow, a few notes in blue.

    Up to three errors, one warning and two notes are shown as alerts; the rest go into
    an expander so that a file with many problems does not push the image off screen.
    """
    if not problems:
        return
    errors = [problem for problem in problems if problem.severity == "error"]
    notes = [problem for problem in problems if problem.severity == "info"]
    warnings = [problem for problem in problems if problem.severity not in ("error", "info")]
    shown_warnings = warnings if len(warnings) == 1 else []
    shown_notes = notes if len(notes) <= 2 else []
    for problem in errors[:3]:
        st.error(escape_markdown(str(problem)), icon=":material/error:")
    for problem in shown_warnings:
        st.warning(escape_markdown(str(problem)), icon=":material/warning:")
    for problem in shown_notes:
        st.info(escape_markdown(str(problem)), icon=":material/info:")
    rest = errors[3:] + [problem for problem in warnings if problem not in shown_warnings] + \
        [problem for problem in notes if problem not in shown_notes]
    if rest:
        heading = title or t("{count} more problems found in the files", count=len(rest))
        with st.expander(heading, icon=":material/warning:"):
            for problem in rest:
                st.text(("ERROR " if problem.severity == "error" else "") + str(problem))


@contextlib.contextmanager
def progress_bar(text: str) -> Iterator[Callable[[int, int], None]]:
    """Show a progress bar while the block runs; yield the ``report(done, total)`` callback loaders take."""
    bar = st.progress(0.0, text=text)

    def report(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0))

    try:
        yield report
    finally:
        bar.empty()


def query_default(name: str, default: str = "") -> str:
    """Return a query parameter's value, for the first value of a widget opened by a deep link."""
    return st.query_params.get(name, default)


def sync_query(**values: object) -> None:
    """Write the page's current choices into the URL so a copied link opens the same view."""
    for name, value in values.items():
        text = "" if value is None else str(value)
        if text:
            if st.query_params.get(name) != text:
                st.query_params[name] = text
        elif name in st.query_params:
            del st.query_params[name]


def init_state(key: str, value: object) -> None:
    """Set a widget's session value once, before the widget is created (e.g. from a deep link)."""
    if key not in st.session_state:
        st.session_state[key] = value


def relative_name(path: Path, root: Path | None) -> str:
    """Return ``path`` relative to ``root`` when it is inside, else the full path."""
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)
