"""Every UI string passed to t() or N_() has a 简体中文 translation with the same placeholders."""

import ast
import re
import string
from pathlib import Path

import pytest

from ui.i18n import catalog

PROJECT_DIR = Path(__file__).resolve().parent.parent
UI_SOURCES = [PROJECT_DIR / "viz_app.py", *sorted((PROJECT_DIR / "pages").glob("*.py")),
              *sorted((PROJECT_DIR / "ui").glob("*.py"))]


def ui_strings() -> dict[str, str]:
    """Return every literal first argument of t(...) and N_(...) with the file it is in."""
    found = {}
    for path in UI_SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("t", "N_")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, path.name)
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_ui_strings_found():
    assert "Dataset folder" in ui_strings()


@pytest.mark.parametrize("language", ["zh-CN"])
def test_every_ui_string_translated(language):
    table = catalog(language)
    missing = [f"{source}: {text!r}" for text, source in sorted(ui_strings().items()) if text not in table]
    assert missing == [], f"{len(missing)} UI strings have no {language} translation"


@pytest.mark.parametrize("language", ["zh-CN"])
def test_translations_keep_placeholders(language):
    table = catalog(language)
    wrong = [text for text, translated in table.items() if placeholders(text) != placeholders(translated)]
    assert wrong == []


def test_translations_are_chinese():
    table = catalog("zh-CN")
    untranslated = [text for text, translated in table.items()
                    if not re.search(r"[\u4e00-\u9fff]", translated) and re.search(r"[a-z]{3}", text)]
    assert untranslated == []
