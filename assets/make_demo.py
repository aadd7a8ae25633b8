"""Generate the embedded demo datasets under assets/demo, in each dataset's real on-disk format.

Run from the project root: ``python -m assets.make_demo [NAME ...]``. Every module in
``assets/demo_gen`` that defines ``generate(out_dir)`` writes one family's data into
``assets/demo/<folder>``; with names given, only those modules run. Output is
deterministic (fixed random seeds), so regenerating changes no committed file.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import shutil
import sys
from pathlib import Path

import assets.demo_gen as demo_gen

DEMO_DIR = Path(__file__).resolve().parent / "demo"
log = logging.getLogger(__name__)


def generator_modules() -> list[str]:
    """Return the names of the generator modules (those with a ``generate`` function)."""
    names = []
    for info in pkgutil.iter_modules(demo_gen.__path__):
        module = importlib.import_module(f"assets.demo_gen.{info.name}")
        if hasattr(module, "generate") and hasattr(module, "FOLDER"):
            names.append(info.name)
    return sorted(names)


def main(requested: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in requested or generator_modules():
        module = importlib.import_module(f"assets.demo_gen.{name}")
        out_dir = DEMO_DIR / module.FOLDER
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        module.generate(out_dir)
        size = sum(path.stat().st_size for path in out_dir.rglob("*") if path.is_file())
        log.info("%s: wrote %s (%.1f kB)", name, out_dir, size / 1024)


if __name__ == "__main__":
    main(sys.argv[1:])
