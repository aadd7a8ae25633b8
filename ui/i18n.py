"""Interface language: English text is the message key, translations live in ui/locales/.

Every file ``ui/locales/<lang>/*.json`` maps English UI strings to their translation;
the files of one language are merged, so each page can keep its own file. Dataset,
category and attribute names are never passed through ``t``: they stay as the
datasets spell them.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

import streamlit as st

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = {"en": "English", "zh-CN": "简体中文"}
DEFAULT_LANGUAGE = "en"


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """Return the merged translation table of one language."""
    table: dict[str, str] = {}
    folder = LOCALES_DIR / language
    for path in sorted(folder.glob("*.json")):
        try:
            table.update(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as error:
            log.error("translation file %s could not be read: %s", path, error)
    return table


def current_language() -> str:
    """Return the language chosen in the sidebar or by the ``lang`` query parameter."""
    language = st.session_state.get("lang")
    if language is None:
        language = st.query_params.get("lang", DEFAULT_LANGUAGE)
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def t(text: str, **values: object) -> str:
    """Translate an English UI string into the current language and fill in ``{name}`` fields."""
    language = current_language()
    translated = text if language == DEFAULT_LANGUAGE else catalog(language).get(text, text)
    return translated.format(**values) if values else translated


def N_(text: str) -> str:
    """Mark a UI string stored for later translation with ``t``; returns it unchanged."""
    return text
