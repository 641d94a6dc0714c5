"""The platform recipe: every image has a folder, and an image's tag follows what it is built from."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudmart_lab.bundle import platform
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import IMAGES_DIR


def test_every_platform_image_has_a_dockerfile_and_known_shared_folders():
    recipe = platform.load()
    assert {"postgres", "user-service", "order-service", "nginx-gateway", "prometheus"} <= {i.name for i in recipe.images}
    for image in recipe.images:
        assert (image.folder / "Dockerfile").is_file(), image.name
        for shared in image.shares:
            assert (IMAGES_DIR / shared).is_dir(), f"{image.name} shares unknown folder {shared}"
    assert [c.name for c in recipe.manifests] == ["gateway-api", "nginx-gateway-crds"]
    assert all(c.files for c in recipe.manifests)


@pytest.fixture
def images_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("web", "common"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(f"FROM base\n# {name}\n")
    monkeypatch.setattr(platform, "IMAGES_DIR", tmp_path)
    monkeypatch.setattr(platform.PlatformImage, "folder", property(lambda self: tmp_path / self.name))
    return tmp_path


def test_a_tag_changes_with_the_image_folder_or_a_shared_folder_only(images_dir: Path):
    web = platform.PlatformImage("web", shares=("common",))
    alone = platform.PlatformImage("common")
    before, before_alone = platform.tag(web), platform.tag(alone)
    assert before.startswith("localhost/cloudmart/web:")
    assert platform.tag(web) == before  # stable while nothing changes

    (images_dir / "web" / "node_modules").mkdir()
    (images_dir / "web" / "node_modules" / "left.js").write_text("a build leftover")
    assert platform.tag(web) == before  # what a local build leaves is not an input

    (images_dir / "common" / "lib.js").write_text("shared code")
    assert platform.tag(web) != before
    assert platform.tag(alone) != before_alone

    changed = platform.tag(web)
    (images_dir / "web" / "server.js").write_text("server")
    assert platform.tag(web) != changed


def test_an_image_naming_an_unknown_component_is_refused(tmp_path: Path):
    recipe = tmp_path / "platform.yml"
    recipe.write_text("components: {}\nimages:\n  web: {components: [nope]}\n")
    with pytest.raises(LabError, match="image web names unknown components nope"):
        platform.load(recipe)


def test_manifests_naming_an_unknown_component_are_refused(tmp_path: Path):
    recipe = tmp_path / "platform.yml"
    recipe.write_text("components: {}\nmanifests: [crds]\nimages: {}\n")
    with pytest.raises(LabError, match="manifests name unknown components crds"):
        platform.load(recipe)
