"""Messages for JSON files that fail to parse, shared by the loaders."""

from __future__ import annotations

import orjson


def json_error_text(data: bytes, error: orjson.JSONDecodeError) -> str:
    """Return "invalid JSON at line L, column C: reason" for a parse error of ``data``.

    orjson checks UTF-8 before parsing and then reports line 1, column 1, so the
    first invalid byte is located here instead.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as decode_error:
        line = data.count(b"\n", 0, decode_error.start) + 1
        column = decode_error.start - (data.rfind(b"\n", 0, decode_error.start) + 1) + 1
        return (f"bytes that are not valid UTF-8 at line {line}, column {column} (byte {decode_error.start}); "
                "the file must be UTF-8")
    if not data.strip():
        return "file is empty, not JSON"
    return f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
