"""The bundle recipe and the wrapper modules the build source compiles from."""

from __future__ import annotations

import pytest

from cloudmart_lab.bundle import gobuild, recipe
from cloudmart_lab.errors import LabError

KUBEADM_LISTING = """registry.k8s.io/kube-apiserver:v1.37.2
registry.k8s.io/kube-controller-manager:v1.37.2
registry.k8s.io/kube-scheduler:v1.37.2
registry.k8s.io/kube-proxy:v1.37.2
registry.k8s.io/coredns/coredns:v1.14.6
registry.k8s.io/pause:3.10.2
registry.k8s.io/etcd:3.7.0-0
"""


def lab_recipe() -> recipe.Recipe:
    return recipe.with_kubeadm_images(
        recipe.with_kubernetes(recipe.load(), "1.37.2"), recipe.parse_kubeadm_images(KUBEADM_LISTING)
    )


def test_etcd_and_coredns_take_the_versions_kubeadm_names():
    components = lab_recipe().components
    assert components["etcd"].version == "v3.7.0"  # the tag's build suffix (-0) is not part of the version
    assert components["coredns"].version == "v1.14.6"
    assert components["kubernetes"].version == "v1.37.2"


def test_image_refs_come_from_kubeadm_or_from_pinned_versions():
    built = lab_recipe()
    refs = recipe.parse_kubeadm_images(KUBEADM_LISTING)
    assert built.image_ref(built.images["kube-apiserver"], refs) == "registry.k8s.io/kube-apiserver:v1.37.2"
    assert built.image_ref(built.images["pause"], refs) == "registry.k8s.io/pause:3.10.2"
    flannel = built.components["flannel"].version
    assert built.image_ref(built.images["flannel"], refs) == f"ghcr.io/flannel-io/flannel:{flannel}"


def test_a_kubeadm_listing_without_etcd_is_refused():
    with pytest.raises(LabError, match="kubeadm listed no image for etcd"):
        recipe.parse_kubeadm_images(KUBEADM_LISTING.replace("registry.k8s.io/etcd:3.7.0-0", ""))


def test_every_built_image_has_a_dockerfile():
    from cloudmart_lab.paths import IMAGES_DIR

    for name, spec in recipe.load().images.items():
        if not spec.base:
            assert (IMAGES_DIR / name / "Dockerfile").is_file(), name


def test_the_wrapper_module_keeps_requirements_and_maps_folder_replacements():
    kubernetes = lab_recipe().components["kubernetes"]
    upstream = {
        "Go": "1.26.0",
        "GoDebug": [{"Key": "default", "Value": "go1.26"}],
        "Require": [{"Path": "github.com/google/uuid", "Version": "v1.6.0"}, {"Path": "k8s.io/api", "Version": "v0.0.0"}],
        "Replace": [
            {"Old": {"Path": "k8s.io/api"}, "New": {"Path": "./staging/src/k8s.io/api"}},
            {"Old": {"Path": "example.com/old", "Version": "v1.0.0"}, "New": {"Path": "example.com/new", "Version": "v1.0.1"}},
        ],
    }
    gomod = gobuild.wrapper_gomod(kubernetes, upstream)
    assert "go 1.26.0" in gomod and "godebug default=go1.26" in gomod
    assert "\tk8s.io/kubernetes v1.37.2" in gomod and "\tgithub.com/google/uuid v1.6.0" in gomod
    assert "k8s.io/api v0.0.0" not in gomod  # the placeholder version of a folder module is dropped
    assert "replace k8s.io/api => k8s.io/api v0.37.2" in gomod  # staging modules are published as v0.<minor>.<patch>
    assert "replace example.com/old v1.0.0 => example.com/new v1.0.1" in gomod


def test_etcd_sibling_modules_take_etcds_own_version():
    etcd = lab_recipe().components["etcd"]
    upstream = {"Go": "1.26", "Replace": [{"Old": {"Path": "go.etcd.io/etcd/api/v3"}, "New": {"Path": "../api"}}]}
    assert "replace go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 v3.7.0" in gobuild.wrapper_gomod(etcd, upstream)


def test_coredns_gets_only_the_chosen_plugins_in_plugin_cfg_order(tmp_path):
    (tmp_path / "plugin.cfg").write_text(
        "# comment\nreload:reload\nprometheus:metrics\nroute53:route53\nforward:forward\non:github.com/coredns/caddy/onevent\n"
    )
    component = recipe.Component(
        "coredns", "github.com/coredns/coredns", "v1.14.6", coredns_plugins=("forward", "prometheus", "reload")
    )
    main = gobuild.coredns_main(component, tmp_path)
    assert '_ "github.com/coredns/coredns/plugin/metrics"' in main
    assert "route53" not in main
    assert main.index('"reload",') < main.index('"prometheus",') < main.index('"forward",')


def test_an_unknown_coredns_plugin_is_refused(tmp_path):
    (tmp_path / "plugin.cfg").write_text("forward:forward\n")
    component = recipe.Component("coredns", "github.com/coredns/coredns", "v1.14.6", coredns_plugins=("forward", "nosuch"))
    with pytest.raises(LabError, match=r"CoreDNS v1\.14\.6 has no plugin named nosuch"):
        gobuild.coredns_main(component, tmp_path)


def test_flannel_main_loses_exactly_the_dropped_backends(tmp_path):
    (tmp_path / "main.go").write_text(
        'package main\n\nimport (\n\t_ "example.com/f/pkg/backend/vxlan"\n\t_ "example.com/f/pkg/backend/tencentvpc"\n)\n'
    )
    component = recipe.Component(
        "flannel", "example.com/f", "v1.0.0", main_from_module="main.go", drop_imports=("pkg/backend/tencentvpc",)
    )
    main = gobuild.trimmed_main(component, tmp_path)
    assert "vxlan" in main and "tencentvpc" not in main
    missing = recipe.Component(
        "flannel", "example.com/f", "v1.0.0", main_from_module="main.go", drop_imports=("pkg/backend/udp",)
    )
    with pytest.raises(LabError, match="has no import"):
        gobuild.trimmed_main(missing, tmp_path)
