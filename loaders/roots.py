"""Dataset families, where their files are read from, and confinement of paths to those roots.

A family's root comes from, in this order: a folder chosen in the sidebar (only
inside the configured roots), the environment variable ``FASHIONVIZ_<NAME>_ROOT``,
the ``[roots]`` table of ``fashionviz.toml`` in the working directory (or of the file
named by ``FASHIONVIZ_CONFIG``), and last the embedded demo data under ``assets/demo``.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_DIR = PROJECT_DIR / "assets" / "demo"


@dataclass(frozen=True)
class Family:
    """One dataset family: its key in configs, its environment name and its title."""

    key: str  # key in fashionviz.toml and in URLs
    env_name: str  # NAME in FASHIONVIZ_<NAME>_ROOT
    title: str
    demo_folder: str

    @property
    def env_var(self) -> str:
        return f"FASHIONVIZ_{self.env_name}_ROOT"


FAMILIES: tuple[Family, ...] = (
    Family("fashion_mnist", "FASHION_MNIST", "Fashion-MNIST", "fashion-mnist"),
    Family("deepfashion", "DEEPFASHION", "DeepFashion", "deepfashion"),
    Family("deepfashion2", "DEEPFASHION2", "DeepFashion2", "deepfashion2"),
    Family("modanet", "MODANET", "ModaNet", "modanet"),
    Family("fashionpedia", "FASHIONPEDIA", "Fashionpedia", "fashionpedia"),
    Family("zappos50k", "ZAPPOS50K", "UT-Zappos50K", "zappos50k"),
    Family("deepfashion3d", "DEEPFASHION3D", "Deep Fashion3D", "deepfashion3d"),
    Family("fashioniq", "FASHIONIQ", "Fashion IQ", "fashioniq"),
    Family("imaterialist", "IMATERIALIST", "iMaterialist", "imaterialist"),
)
FAMILY_BY_KEY = {family.key: family for family in FAMILIES}


class PathOutsideRoots(ValueError):
    """A path that resolves outside every allowed dataset root."""


@dataclass(frozen=True)
class RootChoice:
    """The folder a family is read from and where that choice came from."""

    family: Family
    path: Path | None
    # One of "sidebar", "environment", "config", "demo", "none".
    source: str
    detail: str = ""  # the variable or config file behind the choice

    @property
    def is_demo(self) -> bool:
        return self.source == "demo"


def config_file(environ: dict[str, str] | None = None, cwd: Path | None = None) -> Path | None:
    """Return the config file in use: FASHIONVIZ_CONFIG, else ./fashionviz.toml if it exists."""
    environ = os.environ if environ is None else environ
    named = environ.get("FASHIONVIZ_CONFIG")
    if named:
        return Path(named).expanduser()
    local = (cwd or Path.cwd()) / "fashionviz.toml"
    return local if local.is_file() else None


def read_config(path: Path | None) -> dict:
    """Parse a fashionviz.toml file; a missing or invalid file is logged and gives {}."""
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        log.warning("config file %s not found; using defaults", path)
    except (tomllib.TOMLDecodeError, OSError) as error:
        log.error("config file %s could not be read: %s", path, error)
    return {}


def configured_root(family: Family, environ: dict[str, str] | None = None,
                    cwd: Path | None = None) -> RootChoice:
    """Return the root from the environment, the config file or the demo data, in that order."""
    environ = os.environ if environ is None else environ
    value = environ.get(family.env_var)
    if value:
        return RootChoice(family, Path(value).expanduser().resolve(), "environment", family.env_var)

    path = config_file(environ, cwd)
    roots = read_config(path).get("roots", {})
    value = roots.get(family.key) if isinstance(roots, dict) else None
    if isinstance(value, str) and value:
        root = Path(value).expanduser()
        if not root.is_absolute():
            # Relative roots in the config file are relative to that file.
            root = path.parent / root
        return RootChoice(family, root.resolve(), "config", str(path))

    demo = DEMO_DIR / family.demo_folder
    if demo.is_dir():
        return RootChoice(family, demo, "demo", str(demo))
    return RootChoice(family, None, "none")


def allowed_roots(family: Family, environ: dict[str, str] | None = None, cwd: Path | None = None) -> list[Path]:
    """Return the folders a user may pick a root below: the configured root and the demo data."""
    roots = []
    choice = configured_root(family, environ, cwd)
    if choice.path is not None:
        roots.append(choice.path)
    demo = (DEMO_DIR / family.demo_folder).resolve()
    if demo.is_dir() and demo not in roots:
        roots.append(demo)
    return roots


def confine(path: Path | str, roots: list[Path], base: Path | None = None) -> Path:
    """Resolve ``path`` (relative to ``base`` when relative) and require it inside one of ``roots``.

    Symbolic links are resolved first, so a link that leaves the roots is rejected too.
    Raises PathOutsideRoots naming the path.
    """
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = (base or roots[0]) / candidate
    resolved = candidate.resolve()
    for root in roots:
        root_resolved = root.resolve()
        if resolved == root_resolved or root_resolved in resolved.parents:
            return resolved
    allowed = ", ".join(str(root) for root in roots) or "none configured"
    raise PathOutsideRoots(f"{path} is outside the allowed dataset roots ({allowed}).")


def sidebar_root(family: Family, requested: str, environ: dict[str, str] | None = None,
                 cwd: Path | None = None) -> RootChoice:
    """Return the root a user typed in the sidebar, confined to the allowed roots."""
    roots = allowed_roots(family, environ, cwd)
    path = confine(requested, roots)
    if not path.is_dir():
        raise FileNotFoundError(f"{requested} is not a folder.")
    return RootChoice(family, path, "sidebar", requested)
