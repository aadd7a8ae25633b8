"""Root resolution order (environment, config file, demo data) and confinement of paths."""

import os

import pytest

from loaders.roots import (
    DEMO_DIR,
    FAMILY_BY_KEY,
    PathOutsideRoots,
    configured_root,
    confine,
    sidebar_root,
)

DF2 = FAMILY_BY_KEY["deepfashion2"]


def test_environment_wins_over_config(tmp_path):
    (tmp_path / "fashionviz.toml").write_text('[roots]\ndeepfashion2 = "/data/from-config"\n')
    choice = configured_root(DF2, {"FASHIONVIZ_DEEPFASHION2_ROOT": str(tmp_path)}, cwd=tmp_path)
    assert choice.source == "environment"
    assert choice.path == tmp_path.resolve()
    assert choice.detail == "FASHIONVIZ_DEEPFASHION2_ROOT"


def test_config_relative_to_its_file(tmp_path):
    config = tmp_path / "conf" / "viz.toml"
    config.parent.mkdir()
    config.write_text('[roots]\ndeepfashion2 = "../datasets/df2"\n')
    choice = configured_root(DF2, {"FASHIONVIZ_CONFIG": str(config)}, cwd=tmp_path)
    assert choice.source == "config"
    assert choice.path == (tmp_path / "datasets" / "df2").resolve()


def test_config_in_working_directory(tmp_path):
    (tmp_path / "fashionviz.toml").write_text('[roots]\ndeepfashion2 = "/data/df2"\n')
    choice = configured_root(DF2, {}, cwd=tmp_path)
    assert (choice.source, str(choice.path)) == ("config", "/data/df2")


def test_invalid_config_falls_back_to_demo(tmp_path):
    (tmp_path / "fashionviz.toml").write_text("[roots\n")
    choice = configured_root(DF2, {}, cwd=tmp_path)
    assert choice.source == "demo"
    assert choice.path == DEMO_DIR / "deepfashion2"


def test_confine_accepts_nested_path(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert confine("a/b", [tmp_path]) == (tmp_path / "a" / "b").resolve()


@pytest.mark.parametrize("escape", ["../outside", "/etc", "a/../../outside"])
def test_confine_rejects_escapes(tmp_path, escape):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    with pytest.raises(PathOutsideRoots, match="outside the allowed dataset roots"):
        confine(escape, [root])


def test_confine_rejects_symlink_leaving_root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret").mkdir()
    os.symlink(tmp_path / "secret", root / "link")
    with pytest.raises(PathOutsideRoots):
        confine("link", [root])


def test_sidebar_root_limited_to_configured_root(tmp_path):
    (tmp_path / "sub").mkdir()
    environ = {"FASHIONVIZ_DEEPFASHION2_ROOT": str(tmp_path)}
    choice = sidebar_root(DF2, str(tmp_path / "sub"), environ, cwd=tmp_path)
    assert (choice.source, choice.path) == ("sidebar", (tmp_path / "sub").resolve())
    with pytest.raises(PathOutsideRoots):
        sidebar_root(DF2, "/tmp", environ, cwd=tmp_path)
