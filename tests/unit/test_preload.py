"""The preloaded node image's name and the commands that fill its containerd (the lab tests see
the nodes start with every image, labelled as the node role expects)."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from cloudmart_lab import preload
from cloudmart_lab.bundle.manifest import Manifest, load


def bundle(root: Path, archives: dict[str, bytes], images: dict[str, dict[str, str]], binaries: dict[str, str]) -> Path:
    for relative, content in {**archives, **{path: name.encode() for name, path in binaries.items()}}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
    Manifest("1.37.2", "build", "abc", binaries=binaries, images=images).seal(root)
    return root


def kubernetes(root: Path, pause: bytes = b"pause") -> Path:
    images = {"pause": {"ref": "registry.k8s.io/pause:3.10.2", "archive": "images/pause.tar"}}
    return bundle(root, {"images/pause.tar": pause}, images, {"containerd": "bin/containerd", "ctr": "bin/ctr"})


def platform(root: Path) -> Path:
    images = {
        "redis": {"ref": "localhost/cloudmart/redis:1", "archive": "images/platform.tar"},
        "web": {"ref": "localhost/cloudmart/web:2", "archive": "images/platform.tar"},
    }
    return bundle(root, {"images/platform.tar": b"platform"}, images, {})


def test_the_tag_follows_the_node_image_and_every_archive(tmp_path: Path):
    first = preload.tag("node:1", [kubernetes(tmp_path / "a"), platform(tmp_path / "p")])
    assert first == preload.tag("node:1", [kubernetes(tmp_path / "b"), platform(tmp_path / "p")]), "same content, same tag"
    assert first != preload.tag("node:2", [kubernetes(tmp_path / "a"), platform(tmp_path / "p")])
    assert first != preload.tag("node:1", [kubernetes(tmp_path / "c", pause=b"rebuilt"), platform(tmp_path / "p")])
    assert first.startswith(preload.REPOSITORY + ":")


def test_each_archive_is_imported_once_unpacked_later_and_each_image_labelled_with_its_archive(tmp_path: Path):
    roots = [kubernetes(tmp_path / "k"), platform(tmp_path / "p")]
    lines = preload.import_script(roots).splitlines()
    imports = [shlex.split(line) for line in lines if " images import " in line]
    labels = {shlex.split(line)[7]: shlex.split(line)[8:10] for line in lines if " images label " in line}
    assert [command[-2] for command in imports] == ["/preload/bundle-0/images/pause.tar", "/preload/bundle-1/images/platform.tar"]
    assert all("--no-unpack" in command and command[4] == "k8s.io" for command in imports)
    platform_sha = load(roots[1]).files["images/platform.tar"]
    assert labels["localhost/cloudmart/web:2"] == [
        f"cloudmart.lab/archive-sha256={platform_sha['sha256']}",
        "io.cri-containerd.pinned=pinned",
    ]
    assert set(labels) == {"registry.k8s.io/pause:3.10.2", "localhost/cloudmart/redis:1", "localhost/cloudmart/web:2"}
    started = [line for line in lines if " --root /var/lib/containerd " in line]
    assert len(started) == 1 and started[0].startswith("/preload/bundle-0/bin/containerd "), "the bundle's own containerd"


def test_the_binaries_are_staged_and_linked_where_and_as_the_node_role_puts_them(tmp_path: Path):
    roots = [kubernetes(tmp_path / "k"), platform(tmp_path / "p")]
    lines = [shlex.split(line) for line in preload.import_script(roots).splitlines()]
    role = Path(__file__).resolve().parents[2] / "roles" / "node"
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text())
    tasks = {task["name"]: task for task in yaml.safe_load((role / "tasks" / "bundle.yml").read_text())}
    stage = defaults["node_bundle_stage_dir"]
    (rsync,) = [line for line in lines if line[0] == "rsync"]
    assert rsync[-2:] == ["/preload/bundle-0/", f"{stage}/"], "the Kubernetes bundle, staged where the role keeps it"
    sync = yaml.safe_load((role / "tasks" / "sync.yml").read_text())[1]["ansible.posix.synchronize"]["rsync_opts"]
    for pattern in ("*.log", ".verified.json"):
        assert f"'{pattern}'" in sync and f"--exclude={pattern}" in rsync, f"{pattern}: neither copy takes it"
    assert "--exclude=images/pause.tar" in rsync, "no image archive"
    links = {line[-1]: line[-2] for line in lines if line[0] == "ln"}
    link = tasks["Link kubeadm, kubelet, kubectl, containerd, runc and crictl into the PATH"]["ansible.builtin.file"]
    assert link["state"] == "link"
    for name, path in {"containerd": "bin/containerd", "ctr": "bin/ctr"}.items():
        item = {"{{ item.key }}": name, "{{ item.value }}": path, "{{ node_bundle_stage_dir }}": stage}
        dest, src = link["dest"], link["src"]
        for variable, value in item.items():
            dest, src = dest.replace(variable, value), src.replace(variable, value)
        assert links[dest] == src, f"{name}: the link the role would make"
    assert set(links) == {"/usr/local/bin/containerd", "/usr/local/bin/ctr"}, "only the bundle's binaries"
    assert all(lines.index(rsync) < lines.index(line) for line in lines if line[0] == "ln"), "staged before linked"


def test_an_image_is_known_by_its_set_of_bundles_so_a_newer_one_replaces_it(tmp_path: Path):
    kubernetes_only = [tmp_path / "kubernetes-v1.37.2-build-65e05b0678c5"]
    both = [*kubernetes_only, tmp_path / "platform-8ef17fca79e8"]
    assert preload.bundle_set(kubernetes_only) == "kubernetes"
    assert preload.bundle_set(both) == "kubernetes+platform", "the molecule scenarios' image and the lab's are kept apart"


def test_the_content_store_leaves_the_volume_for_a_folder_the_node_entrypoint_mounts_back(tmp_path: Path):
    lines = preload.import_script([kubernetes(tmp_path / "k")]).splitlines()
    stopped = lines.index("wait $daemon || true")
    assert lines[stopped + 2] == f"mv {preload.CONTENT_STORE} {preload.PRELOADED_CONTENT}", "moved once containerd stopped"
    entrypoint = (Path(__file__).resolve().parents[2] / "images" / "node" / "entrypoint").read_text()
    assert f"local preloaded={preload.PRELOADED_CONTENT}\n" in entrypoint
    assert f"local store={preload.CONTENT_STORE}\n" in entrypoint
    assert 'mount --bind "$preloaded" "$store"' in entrypoint
