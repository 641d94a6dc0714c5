"""`python -m cloudmart_lab`: prepare, bring up, inspect and remove the lab.

Every command prints progress with elapsed times and ends with a summary. A problem the user can
fix is reported in one line on standard error with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cloudmart_lab import (
    base_image,
    bundle,
    docker,
    host,
    memory,
    node_image,
    preload,
    scoreboard,
    settings,
    state,
    vagrant,
    workshop,
    workshop_end,
    workshop_handout,
    workshop_inventory,
    workshop_runs,
    workshop_up,
)
from cloudmart_lab.bundle import platform
from cloudmart_lab.errors import LabError
from cloudmart_lab.paths import cache_dir, state_dir
from cloudmart_lab.progress import Progress
from cloudmart_lab.workshop_secrets import RoomSecrets


def _bundle_source(args: argparse.Namespace) -> str:
    return args.source or os.environ.get("CLOUDMART_BUNDLE_SOURCE", "build")


def cmd_bundle(args: argparse.Namespace) -> int:
    lab = settings.load()
    source = _bundle_source(args)
    if args.action == "path":
        print(bundle.bundle_dir(lab, source))
        return 0
    progress = Progress("bundle")
    if args.action == "build":
        host.install_packages()
        with progress.step("Docker engine"):
            progress.say(host.ensure_docker())
        root = bundle.ensure(lab, source, progress.say)
    else:
        root = args.path or bundle.bundle_dir(lab, source)
    with progress.step("checksums of every bundle file"):
        manifest = bundle.verify(root)
    print(progress.summary(), file=sys.stderr)
    print(
        f"bundle: {root} (Kubernetes {manifest.kubernetes_version}, {len(manifest.files)} files, source {manifest.source})",
        file=sys.stderr,
    )
    print(root)
    return 0


def prepare_host(progress: Progress) -> None:
    """Host packages, a running Docker engine and the kernel limits several nodes need."""
    with progress.step("host packages"):
        installed = host.install_packages()
        progress.say(f"installed {', '.join(installed)}" if installed else "all present")
    with progress.step("Docker engine"):
        progress.say(host.ensure_docker())
        host.raise_inotify_limit()


def prepare(source: str, progress: Progress, provider: str = "docker") -> state.LabState:
    lab = settings.load()
    host.check_provider(provider)
    prepare_host(progress)
    _check_node_sizes(lab)
    key = state.ensure_ssh_key()
    log = cache_dir() / "logs" / "node-image.log"
    with progress.step("Debian base image"):  # every image built below starts from it
        base_image.ensure(log)
    with progress.step("Kubernetes bundle" + (" and CloudMart's images, side by side" if lab.platform else "")):
        root, platform_root = _bundles(lab, source, progress.say)
    with progress.step("bundle checksums"):
        bundle.verify(root)
    image = ""
    if provider == "docker":
        with progress.step("node image"):
            image = node_image.ensure(log)
            progress.say(image)
        if lab.preload_images:
            with progress.step("node image with the bundles' images in containerd"):
                bundles = [root, *([platform_root] if platform_root else [])]
                image = preload.ensure(image, bundles, log)
                progress.say(image)
                for outdated in preload.remove_outdated(bundles, keep=image):
                    progress.say(f"removed the outdated {outdated}")
    prepared = state.LabState(
        bundle_dir=str(root),
        node_image=image,
        ssh_private_key=str(key),
        kubeconfig=str(state_dir() / "kubeconfig"),
        platform_bundle_dir=str(platform_root or ""),
        secrets_dir=str(state_dir() / "secrets"),
    )
    state.save(prepared)
    return prepared


def _bundles(lab: settings.Settings, source: str, say: Callable[[str], None]) -> tuple[Path, Path | None]:
    """The Kubernetes bundle and CloudMart's platform bundle, made at the same time when missing.

    Compiling Kubernetes keeps both cores busy, but the platform's builds spend much of their time
    downloading and installing packages, so side by side they end sooner than one after the other.
    Each bundle is written under a temporary name and renamed when whole: when one fails, the other
    still completes, and an error is reported once both have stopped.
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        kubernetes = pool.submit(bundle.ensure, lab, source, say)
        cloudmart = pool.submit(platform.ensure, say) if lab.platform else None
    return kubernetes.result(), cloudmart.result() if cloudmart else None


def _check_node_sizes(lab: settings.Settings) -> None:
    cpus = os.cpu_count() or 1
    for node in lab.nodes:
        if node.cpus > cpus:
            raise LabError(f"node {node.name} wants {node.cpus} CPUs but this machine has {cpus}; lower its cpus in settings.yml")


def cmd_host(args: argparse.Namespace) -> int:
    progress = Progress("host")
    prepare_host(progress)
    print(progress.summary(), file=sys.stderr)
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    progress = Progress("prepare")
    prepare(_bundle_source(args), progress)
    print(progress.summary(), file=sys.stderr)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    progress = Progress("lab")
    prepared = prepare(_bundle_source(args), progress, args.provider)
    up = ["up", f"--provider={args.provider}"] + (["--no-provision"] if args.no_provision else [])
    try:
        with progress.step(f"vagrant {' '.join(up)}"):
            vagrant.run(up, what="vagrant up")
    finally:
        state.save_run_record(progress.record())
    print(progress.summary(), file=sys.stderr)
    if not args.no_provision:
        lab = settings.load()
        print_access(prepared, lab)
        if args.provider == "docker":
            print_memory(lab, "just after provisioning")
    return 0


def print_memory(lab: settings.Settings, when: str) -> None:
    usage = memory.at_rest(lab)
    if usage:
        print(f"memory of the node containers {when} (docker stats, median of 3 samples):")
        print(memory.table(usage))


def cmd_memory(args: argparse.Namespace) -> int:
    lab = settings.load()
    if not host.docker_running():
        raise LabError("no Docker engine runs, so no node container either; start the lab with: make lab")
    if not memory.sample(lab):
        raise LabError("no node container of this lab runs; start it with: make lab")
    print_memory(lab, "now")
    return 0


def print_access(prepared: state.LabState, lab: settings.Settings) -> None:
    """The nodes, the kubeconfig and how to reach a node: what a user needs once the lab is up."""
    kubectl = Path(prepared.bundle_dir) / "bin" / "kubectl"
    if not Path(prepared.kubeconfig).is_file():
        raise LabError(f"the lab has no kubeconfig at {prepared.kubeconfig}: the control plane did not come up (see above)")
    nodes = subprocess.run(
        [str(kubectl), "--kubeconfig", prepared.kubeconfig, "get", "nodes", "-o", "wide"],
        capture_output=True,
        text=True,
        check=False,
    )
    print(nodes.stdout or nodes.stderr)
    print(f"kubeconfig:  export KUBECONFIG={prepared.kubeconfig}")
    print(f"kubectl:     {kubectl} (or any kubectl {lab.kubernetes_version.rsplit('.', 1)[0]}.x)")
    print(f"a node:      vagrant ssh {lab.control_plane.name}")
    print(f"             ssh -i {prepared.ssh_private_key} root@{lab.control_plane.ip}")
    shop = f"http://{lab.control_plane.ip}:{platform.ingress_node_port()}"
    print(f"CloudMart:   {shop}/  (admin {shop}/admin/, dashboard {shop}/prometheus/consoles/cloudmart.html)")


def cmd_destroy(args: argparse.Namespace) -> int:
    progress = Progress("destroy")
    with progress.step("vagrant destroy"):
        if host.docker_running() or args.provider != "docker":
            vagrant.run(["destroy", "--force"], what="vagrant destroy")
        else:
            progress.say("no Docker engine runs, so no node container is left")
    print(progress.summary(), file=sys.stderr)
    return 0


def cmd_platform(args: argparse.Namespace) -> int:
    """Build CloudMart's images: the named ones alone (printing each ref), or the whole platform bundle."""
    progress = Progress("platform")
    with progress.step("Docker engine"):
        progress.say(host.ensure_docker())
    recipe = platform.load()
    if not args.names:
        root = platform.ensure(progress.say, recipe)
        print(progress.summary(), file=sys.stderr)
        print(root)
        return 0
    known = {image.name: image for image in recipe.images}
    unknown = [name for name in args.names if name not in known]
    if unknown:
        raise LabError(f"no platform image named {', '.join(unknown)}; known: {', '.join(known)}")
    log = cache_dir() / "logs" / "platform.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with progress.step("Debian base image"):
        progress.say(base_image.ensure(log))
    for name in args.names:
        with progress.step(f"image {name}"):
            ref = platform.build(known[name], log)
            progress.say(ref)
            print(ref)
    print(progress.summary(), file=sys.stderr)
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    """What an earlier run may have left on this machine: node containers, their volumes, networks."""
    progress = Progress("clean")
    log = cache_dir() / "logs" / "clean.log"
    with progress.step("Docker engine"):
        progress.say(host.ensure_docker())
    with progress.step("lab node containers and their volumes"):
        progress.say(f"removed {docker.remove_lab_nodes(log)} containers")
    with progress.step("unused Vagrant networks"):
        progress.say(f"removed {', '.join(docker.remove_unused_vagrant_networks(log)) or 'none'}")
    print(progress.summary(), file=sys.stderr)
    return 0


def cmd_workshop_check(args: argparse.Namespace) -> int:
    """Everything is checked before anything is printed, so a refusal is the one line it says."""
    plan = workshop.load(args.file)
    capacity = workshop.capacity(plan, workshop.this_server(plan))
    ports = [workshop.check_ports_free(plan)] if plan.placement == "one-server" else []
    print("\n".join([*workshop.summary(plan), *ports, *capacity]))
    return 0


def cmd_workshop_up(args: argparse.Namespace) -> int:
    """The whole room, or the learners named: checked first (capacity, ports), then brought up."""
    plan = workshop.load(args.file)
    clusters = workshop_up.chosen(plan, args.learner or [])
    print("\n".join([*workshop.capacity(plan, workshop.this_server(plan)), workshop.check_ports_free(plan)]), file=sys.stderr)
    progress = Progress("workshop")
    outcomes = workshop_up.bring_up(plan, settings.load(), clusters, args.parallel, progress.say)
    print("\n".join(workshop_up.summary(outcomes)))
    return 0 if all(outcome.ok for outcome in outcomes) else 1


def cmd_workshop_inventory(args: argparse.Namespace) -> int:
    plan = workshop.load(args.file)
    inventory_dir = args.output.parent if args.output else workshop_inventory.INVENTORY_DIR
    data = workshop_inventory.inventory(plan, workshop_inventory.state_root_from(inventory_dir))
    text = workshop_inventory.to_yaml(data, args.file.name)
    if not args.output:
        print(text, end="")
        return 0
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    except OSError as err:
        raise LabError(f"cannot write the inventory to {args.output}: {err.strerror}") from None
    print(f"inventory of {len(plan.clusters)} learners' clusters written to {args.output}", file=sys.stderr)
    # the bundle is this machine's (its path depends on the cache), so the inventory does not name it
    print("run its playbooks with: -e lab_bundle_dir=$(python -m cloudmart_lab bundle path)", file=sys.stderr)
    return 0


def cmd_workshop_run(args: argparse.Namespace) -> int:
    """A playbook for the room, or the learners named; each learner's break with their own seed."""
    plan = workshop.load(args.file)
    learners = workshop_runs.selected(plan, workshop_runs.learners_of(plan, args.inventory), args.learner or [])
    extravars = workshop_runs.extra_vars(args.extra or [])
    seeds = RoomSecrets.of(plan.learners).seeds
    progress = Progress("workshop")
    outcomes = workshop_runs.run_for_room(learners, args.playbook, extravars, seeds, args.parallel, progress.say)
    print("\n".join(workshop_runs.room_summary(outcomes)))
    return 0 if all(outcome.ok for outcome in outcomes) else 1


def cmd_workshop_handout(args: argparse.Namespace) -> int:
    """Each learner's folder to hand out, made from their cluster's state."""
    plan = workshop.load(args.file)
    address = args.address or workshop_handout.server_address()
    board = args.scoreboard_url or f"http://{address}:{workshop_handout.DEFAULT_SCOREBOARD_PORT}"
    handouts = workshop_handout.make_all(plan, address, board)
    print(workshop_handout.listing(handouts))
    return 0


def cmd_workshop_freeze(args: argparse.Namespace) -> int:
    plan = workshop.load(args.file)
    folders = {learner.name: learner.state for learner in workshop_runs.learners_of(plan, args.inventory)}
    final = workshop_end.freeze(plan, folders)
    print("\n".join(final.table))
    print(f"frozen at {final.at}; the final table, the history and each learner's report are in {final.folder}", file=sys.stderr)
    return 0


def cmd_workshop_down(args: argparse.Namespace) -> int:
    """Remove the learners' clusters (placement one-server); their records stay."""
    plan = workshop.load(args.file)
    clusters = workshop_up.chosen(plan, args.learner or [])
    progress = Progress("workshop")
    removed = workshop_end.down(clusters, progress.say)
    failed = [outcome.learner for outcome in removed if not outcome.ok]
    print(f"{len(removed) - len(failed)} of {len(removed)} learners' clusters removed")
    return 1 if failed else 0


def cmd_workshop_scoreboard(args: argparse.Namespace) -> int:
    return scoreboard.run(
        args.file,
        interval=args.interval,
        bind=args.bind,
        port=args.port,
        parallel=args.parallel,
        language=args.language,
        inventory=args.inventory,
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m cloudmart_lab", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    source_help = "where the bundle comes from: build (from source, no registry needed) or download (official releases)"

    p = sub.add_parser("bundle", help="build, check or locate the Kubernetes bundle")
    p.add_argument("action", choices=["build", "verify", "path"])
    p.add_argument("--source", choices=bundle.SOURCES, help=source_help)
    p.add_argument("--path", type=Path, help="verify this bundle folder instead of the one settings.yml calls for")
    p.set_defaults(func=cmd_bundle)

    p = sub.add_parser("host", help="install the host packages the lab needs and start the Docker engine")
    p.set_defaults(func=cmd_host)

    p = sub.add_parser("prepare", help="host packages, Docker engine, SSH key, bundle and node image")
    p.add_argument("--source", choices=bundle.SOURCES, help=source_help)
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("up", help="prepare, then vagrant up and print how to reach the lab")
    p.add_argument("--source", choices=bundle.SOURCES, help=source_help)
    p.add_argument("--provider", default=os.environ.get("VAGRANT_DEFAULT_PROVIDER", "docker"))
    p.add_argument("--no-provision", action="store_true", help="only start the nodes (molecule provisions them role by role)")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("platform", help="build CloudMart's images (the named ones, or all into the platform bundle)")
    p.add_argument("action", choices=["build"])
    p.add_argument("names", nargs="*", metavar="NAME", help="an image folder under images/ listed in platform.yml")
    p.set_defaults(func=cmd_platform)

    p = sub.add_parser("memory", help="the memory each node container uses now (docker stats, median of 3 samples)")
    p.set_defaults(func=cmd_memory)

    p = sub.add_parser("clean", help="remove lab node containers, volumes and networks left by any earlier run")
    p.set_defaults(func=cmd_clean)

    p = sub.add_parser("workshop", help="a room, one cluster per learner: check its file, bring it up or write its inventory")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("check", help="validate the file, show each learner's share and whether this server holds them")
    a.add_argument("file", type=Path, metavar="FILE", help="a workshop file (see workshop.example.yml)")
    a.set_defaults(func=cmd_workshop_check)
    a = actions.add_parser("up", help="bring up every learner's cluster on this server (placement one-server), or those named")
    a.add_argument("file", type=Path, metavar="FILE", help="a workshop file (see workshop.example.yml)")
    a.add_argument("--learner", action="append", metavar="NAME", help="only this learner (repeat for several)")
    a.add_argument("--parallel", type=int, default=3, help="clusters brought up at a time after the first (default 3)")
    a.set_defaults(func=cmd_workshop_up)
    a = actions.add_parser("inventory", help="write the Ansible inventory of a workshop on existing machines (placement hosts)")
    a.add_argument("file", type=Path, metavar="FILE", help="a workshop file (see workshop.example.yml)")
    a.add_argument("-o", "--output", type=Path, help="write it here (best under inventory/) instead of to standard output")
    a.set_defaults(func=cmd_workshop_inventory)
    a = actions.add_parser("run", help="run one of the lab's playbooks for every learner, or those named, side by side")
    a.add_argument("file", type=Path, metavar="FILE", help="a workshop file (see workshop.example.yml)")
    a.add_argument("playbook", choices=workshop_runs.PLAYBOOKS, help="the playbook")
    a.add_argument("--learner", action="append", metavar="NAME", help="only this learner (repeat for several)")
    a.add_argument("--parallel", type=int, default=3, help="learners at a time (default 3)")
    a.add_argument("-e", dest="extra", action="append", metavar="KEY=VALUE", help="an extra variable for every learner's run")
    a.add_argument("--inventory", type=Path, help="placement hosts: the room's inventory (default inventory/workshop.yml)")
    a.set_defaults(func=cmd_workshop_run)
    a = actions.add_parser("handout", help="make each learner's folder to hand out: kubeconfig, SSH key, links, a sheet")
    a.add_argument("file", type=Path, metavar="FILE", help="a workshop file (see workshop.example.yml)")
    a.add_argument("--address", help="the address learners reach this server at (default: its first, as hostname -I lists)")
    a.add_argument("--scoreboard-url", help="the scoreboard's address for learners (default http://ADDRESS:8080)")
    a.set_defaults(func=cmd_workshop_handout)
    a = actions.add_parser("freeze", help="freeze the scores: the final table, the history and each learner's report")
    a.add_argument("file", type=Path, metavar="FILE", help="a workshop file (see workshop.example.yml)")
    a.add_argument("--inventory", type=Path, help="placement hosts: the room's inventory (default inventory/workshop.yml)")
    a.set_defaults(func=cmd_workshop_freeze)
    a = actions.add_parser("down", help="remove every learner's cluster on this server, or those named (records kept)")
    a.add_argument("file", type=Path, metavar="FILE", help="a workshop file (see workshop.example.yml)")
    a.add_argument("--learner", action="append", metavar="NAME", help="only this learner (repeat for several)")
    a.set_defaults(func=cmd_workshop_down)
    a = actions.add_parser("scoreboard", help="serve the room's scoreboard, verifying every learner on an interval")
    a.add_argument("file", type=Path, metavar="FILE", help="a workshop file (see workshop.example.yml)")
    a.add_argument("--interval", type=float, default=60, help="seconds between two verifications of a learner (default 60)")
    a.add_argument("--bind", default="0.0.0.0", help="the address to serve on (default every address of this machine)")
    a.add_argument("--port", type=int, default=8080, help="the port to serve on (default 8080)")
    a.add_argument("--parallel", type=int, default=3, help="learners verified at a time (default 3)")
    a.add_argument("--language", choices=("en", "ko"), default="en", help="what learners read: en or ko (default en)")
    a.add_argument("--inventory", type=Path, help="placement hosts: the room's inventory (default inventory/workshop.yml)")
    a.set_defaults(func=cmd_workshop_scoreboard)

    p = sub.add_parser("destroy", help="remove every node, network and volume of the lab")
    p.add_argument("--provider", default=os.environ.get("VAGRANT_DEFAULT_PROVIDER", "docker"))
    p.set_defaults(func=cmd_destroy)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except LabError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; run the command again to resume (finished steps are kept)", file=sys.stderr)
        return 130
