"""Compiling a component from source through the Go module proxy.

Each component is built from a small wrapper module that requires the component's module at its
pinned version. Replace directives of a dependency are ignored by Go, so the wrapper copies them;
replacements by a local folder (Kubernetes' staging modules, etcd's sibling modules) become the
matching published version. The Go module and build caches live in the lab's cache folder, so a
second build of the same versions only links.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from cloudmart_lab.bundle.recipe import PATCHES_DIR, Component
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import cache_dir
from cloudmart_lab.shell import require, run

GO_HINT = "install Go 1.26 or newer (https://go.dev/dl/), or use the download source: CLOUDMART_BUNDLE_SOURCE=download"


def go_env(cgo: bool = False) -> dict[str, str]:
    root = cache_dir() / "go"
    return {
        "GOMODCACHE": str(root / "mod"),
        "GOCACHE": str(root / "build"),
        "GOFLAGS": "-buildvcs=false -trimpath",
        "CGO_ENABLED": "1" if cgo else "0",
        # keep the toolchain the machine has; GOTOOLCHAIN from the caller's environment still wins
        "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN", "local"),
    }


def _sibling_version(module: str, version: str) -> str:
    """Published version of a module that `module@version` replaces by a local folder."""
    if module == "k8s.io/kubernetes":  # staging modules are published as v0.<minor>.<patch>
        return "v0." + version.removeprefix("v").split(".", 1)[1]
    return version


def check_served(component: Component, label: str) -> None:
    """Refuse, before any work, a version the Go module proxy does not serve."""
    require("go", GO_HINT)
    done = subprocess.run(
        ["go", "list", "-m", "-json", f"{component.module}@{component.version}"],
        env={**os.environ, **go_env()},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no answer"])[-1].strip()
        raise LabError(
            f"{label} {component.version} is not served by the Go module proxy ({reason}); "
            "pick a released version in settings.yml"
        )


def upstream_gomod(component: Component) -> dict:
    """The component's own go.mod, parsed by `go mod edit -json`."""
    info = run(
        ["go", "mod", "download", "-json", f"{component.source_module or component.module}@{component.version}"],
        env=go_env(),
        what=f"fetch {component.module}@{component.version}",
    )
    details = json.loads(info)
    if details.get("Error"):
        raise LabError(
            f"{component.module}@{component.version} cannot be fetched through the Go module proxy: {details['Error']}"
        )
    parsed = run(["go", "mod", "edit", "-json", details["GoMod"]], env=go_env(), what="read go.mod")
    return {**json.loads(parsed), "Dir": details.get("Dir", "")}


def patched_source(component: Component, upstream: dict, work: Path, log: Path) -> Path:
    """A writable copy of the component's source with the recipe's patches applied."""
    source = work / "src"
    shutil.copytree(upstream["Dir"], source)
    for path in (source, *source.rglob("*")):
        path.chmod(path.stat().st_mode | 0o200)  # the module cache is read-only
    for name in component.patches:
        patch = PATCHES_DIR / component.name / name
        if not patch.is_file():
            raise LabError(f"recipe: patch {patch} for {component.name} does not exist")
        run(
            ["patch", "--batch", "--forward", "-p1", "-d", str(source), "-i", str(patch)],
            log=log,
            what=f"patch {component.name} with {name}",
        )
    return source


def wrapper_gomod(component: Component, upstream: dict, patched: bool = False) -> str:
    """go.mod of the wrapper: the component, every requirement it pins, its replacements and godebug."""
    go_version = (upstream.get("Go") or "1.22").strip()
    lines = [f"module cloudmart.lab/bundle/{component.name}", "", f"go {go_version}", ""]
    lines += [f"godebug {entry['Key']}={entry['Value']}" for entry in upstream.get("GoDebug") or []]
    # Requiring what the component requires keeps the build list the component was released with.
    lines += ["", "require (", f"\t{component.module} {component.version}"]
    lines += [
        f"\t{req['Path']} {req['Version']}" for req in upstream.get("Require") or [] if not _is_replaced_by_folder(req, upstream)
    ]
    lines += [")", ""]
    for replace in upstream.get("Replace") or []:
        old, new = replace["Old"], replace["New"]
        old_spec = f"{old['Path']} {old['Version']}" if old.get("Version") else old["Path"]
        if new.get("Version"):
            lines.append(f"replace {old_spec} => {new['Path']} {new['Version']}")
        else:  # a folder inside the component's repository
            lines.append(f"replace {old_spec} => {old['Path']} {_sibling_version(component.module, component.version)}")
    if patched:
        lines.append(f"replace {component.module} => ./src")
    elif component.source_module:
        lines.append(f"replace {component.module} {component.version} => {component.source_module} {component.version}")
    return "\n".join(lines) + "\n"


def _is_replaced_by_folder(requirement: dict, upstream: dict) -> bool:
    """Requirements on in-repository folders carry placeholder versions (v0.0.0); their replacement pins them."""
    return any(
        replace["Old"]["Path"] == requirement["Path"] and not replace["New"].get("Version")
        for replace in upstream.get("Replace") or []
    )


def coredns_main(component: Component, source_dir: Path) -> str:
    """A CoreDNS main with only the chosen plugins, in the order CoreDNS's plugin.cfg gives them."""
    order: list[tuple[str, str]] = []
    for line in (source_dir / "plugin.cfg").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, path = line.partition(":")
            order.append((name, path if "/" in path else f"github.com/coredns/coredns/plugin/{path}"))
    wanted = set(component.coredns_plugins)
    unknown = wanted - {name for name, _ in order}
    if unknown:
        raise LabError(f"CoreDNS {component.version} has no plugin named {', '.join(sorted(unknown))}")
    chosen = [(name, path) for name, path in order if name in wanted]
    imports = "\n".join(f'\t_ "{path}"' for _, path in chosen)
    directives = "\n".join(f'\t\t"{name}",' for name, _ in chosen)
    return f"""// Generated by the CloudMart Lab bundle builder: CoreDNS with the lab's plugins only.
package main

import (
\t"github.com/coredns/coredns/core/dnsserver"
\t"github.com/coredns/coredns/coremain"
{imports}
)

func init() {{
\tdnsserver.Directives = []string{{
{directives}
\t}}
}}

func main() {{
\tcoremain.Run()
}}
"""


def trimmed_main(component: Component, source_dir: Path) -> str:
    """The module's own main file without the imports the recipe drops."""
    assert component.main_from_module is not None
    text = (source_dir / component.main_from_module).read_text()
    for dropped in component.drop_imports:
        line = f'_ "{component.module}/{dropped}"'
        if line not in text:
            raise LabError(f"{component.main_from_module} of {component.module}@{component.version} has no import {line}")
        text = "\n".join(kept for kept in text.splitlines() if kept.strip() != line) + "\n"
    return text


def _ldflags(component: Component) -> str:
    flags = ["-s", "-w"]
    if component.ldflags:
        flags.append(component.expand(component.ldflags))
    version = component.version
    minor = version.removeprefix("v").split(".")
    for package in component.ldflags_version_vars:
        flags += [
            f"-X {package}.gitVersion={version}",
            f"-X {package}.gitMajor={minor[0]}",
            f"-X {package}.gitMinor={minor[1]}",
            f"-X {package}.gitTreeState=clean",
            f"-X {package}.buildDate=1970-01-01T00:00:00Z",
        ]
    return " ".join(flags)


def workdir(component: Component, log: Path) -> tuple[Path, list[str]]:
    """Write the component's wrapper module; returns its folder and the packages to build there."""
    require("go", GO_HINT)
    upstream = upstream_gomod(component)
    work = cache_dir() / "gobuild" / f"{component.name}-{component.version}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if component.patches:
        patched_source(component, upstream, work, log)
    (work / "go.mod").write_text(wrapper_gomod(component, upstream, patched=bool(component.patches)))
    if component.coredns_plugins:
        (work / "main.go").write_text(coredns_main(component, Path(upstream["Dir"])))
        return work, ["."]
    if component.main_from_module:
        (work / "main.go").write_text(trimmed_main(component, Path(upstream["Dir"])))
        return work, ["."]
    return work, [component.module if package == "." else f"{component.module}/{package}" for package in component.packages]


def _tags(component: Component) -> list[str]:
    return ["-tags", ",".join(component.tags)] if component.tags else []


def prefetch(component: Component, log: Path) -> None:
    """Download every module the component's packages need, without compiling anything.

    Run beside a long compile, this moves the network waits of later builds out of the way.
    """
    work, packages = workdir(component, log)
    run(
        ["go", "list", "-mod=mod", "-deps", *_tags(component), *packages],
        cwd=work,
        env=go_env(component.cgo),
        log=log,
        what=f"fetch the modules of {component.name} {component.version}",
    )


def build(component: Component, out_dir: Path, log: Path) -> list[Path]:
    """Compile a component's commands into out_dir; returns the binaries made."""
    work, packages = workdir(component, log)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / component.binary if component.binary else out_dir
    if component.binary and len(packages) != 1:
        raise LabError(f"recipe: component {component.name} renames its binary but builds {len(packages)} packages")
    command = ["go", "build", "-mod=mod", "-ldflags", _ldflags(component), *_tags(component)]
    command += ["-o", f"{target}{'' if component.binary else os.sep}"]
    run(
        [*command, *packages], cwd=work, env=go_env(component.cgo), log=log, what=f"go build {component.name} {component.version}"
    )
    made = [target] if component.binary else [out_dir / package.rsplit("/", 1)[-1] for package in packages]
    absent = [path.name for path in made if not path.is_file()]
    if absent:
        raise LabError(f"go build {component.name} did not produce {', '.join(absent)} in {out_dir}")
    return made


def copy_files(component: Component, out_dir: Path) -> list[Path]:
    """Copy the files the recipe names from the component's module (manifests, configuration) into out_dir."""
    source = Path(upstream_gomod(component)["Dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    copied = []
    for pattern in component.files:
        matches = sorted(path for path in source.glob(pattern) if path.is_file())
        if not matches:
            raise LabError(f"{component.module}@{component.version} has no file matching {pattern}")
        for path in matches:
            target = out_dir / path.name
            if target.exists():
                raise LabError(f"recipe: {component.name} copies two files named {path.name}")
            shutil.copyfile(path, target)
            copied.append(target)
    return copied
