"""The folder each learner of a room on one server is handed: a kubeconfig for their cluster that
goes through the server's published API port, their cluster's SSH key with an ssh_config reaching
their control plane through the server's published SSH port (and their workers through it), the
shop's address, the link to their own scoreboard page, and a one-page sheet in English and Korean.
Nothing in it opens another learner's cluster: each cluster has its own certificate authority and
its own key. Made from the learner's state folder, which `workshop up` filled."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cloudmart_lab import module_utils
from cloudmart_lab.errors import LabError
from cloudmart_lab.workshop import LearnerCluster, Workshop
from cloudmart_lab.workshop_secrets import RoomSecrets, folder

HANDOUT_FOLDER = "handout"
DEFAULT_SCOREBOARD_PORT = 8080


@dataclass(frozen=True)
class Handout:
    learner: str
    folder: Path
    archive: Path  # the same folder as one file, to send


@dataclass(frozen=True)
class Access:
    """How one learner reaches their cluster from their own machine."""

    learner: str
    address: str  # the server's, as learners type it
    ssh_port: int
    api_port: int
    shop_url: str  # empty for a bare cluster
    page_url: str
    control_plane: str  # the node's name
    control_plane_ip: str  # the name the API server's certificate holds
    workers: tuple[tuple[str, str], ...]  # (name, address on the learner's network)


def access_of(cluster: LearnerCluster, address: str, scoreboard_url: str, token: str) -> Access:
    ports = {port.kind: port.host_port for port in cluster.ports}
    return Access(
        learner=cluster.learner,
        address=address,
        ssh_port=ports["ssh"],
        api_port=ports["api"],
        shop_url=f"http://{address}:{ports['shop']}/" if "shop" in ports else "",
        page_url=f"{scoreboard_url.rstrip('/')}/learner/{token}",
        control_plane=cluster.control_plane.name,
        control_plane_ip=cluster.control_plane.ip,
        workers=tuple((node.name, node.ip) for node in cluster.workers),
    )


def server_address() -> str:
    """This server's first global address, as `hostname -I` lists them."""
    listed = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=False).stdout.split()
    usable = [address for address in listed if ":" not in address and not address.startswith("127.")]
    if not usable:
        raise LabError("cannot tell this server's address: give the one learners reach it at with --address")
    return usable[0]


def make_all(room: Workshop, address: str, scoreboard_url: str, where: Path | None = None) -> list[Handout]:
    """Every learner's handout (placement one-server), in the workshop's order."""
    if room.placement != "one-server":
        raise LabError(
            f"{room.source}: handouts are made for a room on one server; on hosts, each learner's machines "
            "are reached directly (their kubeconfig is .lab/clusters/<learner>/kubeconfig)"
        )
    secrets = RoomSecrets.of(room.learners)
    base = where or folder() / HANDOUT_FOLDER
    return [
        make(cluster, access_of(cluster, address, scoreboard_url, secrets.tokens[cluster.learner]), base)
        for cluster in room.clusters
    ]


def make(cluster: LearnerCluster, access: Access, base: Path) -> Handout:
    kubeconfig, key = cluster.state_folder / "kubeconfig", cluster.state_folder / "ssh" / "id_ed25519"
    for needed in (kubeconfig, key):
        if not needed.is_file():
            raise LabError(f"{cluster.learner}'s cluster is not up ({needed} is missing): run `workshop up` for them first")
    target = base / cluster.learner
    # made beside and swapped in whole: a learner is never handed a half-written folder
    draft = base / f".{cluster.learner}.draft"
    shutil.rmtree(draft, ignore_errors=True)
    draft.mkdir(mode=0o700, parents=True)
    (draft / "kubeconfig").write_text(yaml.safe_dump(through_server(yaml.safe_load(kubeconfig.read_text()), access)))
    shutil.copyfile(key, draft / "id_ed25519")
    for secret in ("kubeconfig", "id_ed25519"):
        (draft / secret).chmod(0o600)
    (draft / "ssh_config").write_text(ssh_config(access))
    (draft / "README.md").write_text(sheet(access))
    shutil.rmtree(target, ignore_errors=True)
    draft.rename(target)
    archive = base / f"{cluster.learner}.tar.gz"
    _pack(target, archive)
    return Handout(cluster.learner, target, archive)


def through_server(kubeconfig: dict[str, Any], access: Access) -> dict[str, Any]:
    """The learner's kubeconfig with its cluster reached at the server's published API port; the
    certificate is still checked, against the control plane's own address (which it names)."""
    for entry in kubeconfig.get("clusters", []):
        entry["cluster"]["server"] = f"https://{access.address}:{access.api_port}"
        entry["cluster"]["tls-server-name"] = access.control_plane_ip
    return kubeconfig


def ssh_config(access: Access) -> str:
    """For `ssh -F ssh_config <node>` run in the handout's folder: the control plane through the
    server's published port, each worker through the control plane."""
    common = (
        "  User root\n  IdentityFile ./id_ed25519\n  IdentitiesOnly yes\n"
        "  UserKnownHostsFile ./known_hosts\n  StrictHostKeyChecking accept-new\n"
    )
    lines = [f"Host {access.control_plane}\n  HostName {access.address}\n  Port {access.ssh_port}\n{common}"]
    lines += [f"Host {name}\n  HostName {ip}\n  ProxyJump {access.control_plane}\n{common}" for name, ip in access.workers]
    return "\n".join(lines)


def sheet(access: Access) -> str:
    workers = ", ".join(name for name, _ in access.workers) or "-"
    shop = access.shop_url or "(no shop on this cluster)"
    boxes = [int(scenario["time_box_minutes"]) for scenario in module_utils.load("scenario_catalog").load()]
    return SHEET.format(
        count=len(boxes),
        total=sum(boxes),
        boxes=", ".join(str(box) for box in boxes),
        learner=access.learner,
        cp=access.control_plane,
        workers=workers,
        first_worker=access.workers[0][0] if access.workers else access.control_plane,
        shop=shop,
        page=access.page_url,
    )


SHEET = """# CloudMart Lab: {learner}'s cluster

Your own Kubernetes cluster: control plane {cp}, workers {workers}. Work in this folder.

    export KUBECONFIG="$PWD/kubeconfig"
    kubectl get nodes
    ssh -F ssh_config {cp}            # a root shell on the control plane
    ssh -F ssh_config {first_worker}

- The shop: {shop}
- Your page (keep it to yourself): {page}
  It shows the challenge's clock, the scenario in front of you, what still looks wrong, and the
  buttons for a hint (it costs points) and for giving a scenario up.

The challenge: {count} scenarios, one after the other, {total} minutes in all ({boxes}). Find what
is wrong with kubectl, ssh, journalctl, curl, as on a real cluster, and repair it. Your page is
verified again every minute or so; a scenario moves on when it is fully repaired or its time is up.
This key and kubeconfig open your cluster only: keep them to yourself.

---

# CloudMart Lab: {learner}의 클러스터

나만의 쿠버네티스 클러스터입니다: 컨트롤 플레인 {cp}, 워커 {workers}. 이 폴더에서 작업하세요.

    export KUBECONFIG="$PWD/kubeconfig"
    kubectl get nodes
    ssh -F ssh_config {cp}            # 컨트롤 플레인의 root 셸
    ssh -F ssh_config {first_worker}

- 쇼핑몰: {shop}
- 내 페이지 (다른 사람과 공유하지 마세요): {page}
  도전 과제의 시계, 지금 풀고 있는 시나리오, 아직 잘못된 증상, 힌트 버튼(점수가 깎입니다)과
  시나리오 포기 버튼이 있습니다.

도전 과제: 시나리오 {count}개를 차례로, 모두 {total}분 ({boxes}). 실제 클러스터에서처럼 kubectl, ssh,
journalctl, curl 로 무엇이 잘못되었는지 찾아 고치세요. 페이지는 1분 정도마다 다시 검증되며, 시나리오를
완전히 고치거나 시간이 다 되면 다음 시나리오로 넘어갑니다. 이 키와 kubeconfig 는 내 클러스터만 엽니다.
"""


def _pack(source: Path, archive: Path) -> None:
    draft = archive.with_name(f".{archive.name}.draft")
    with tarfile.open(draft, "w:gz") as packed:
        packed.add(source, arcname=source.name)
    draft.chmod(0o600)
    draft.replace(archive)


def listing(handouts: list[Handout]) -> str:
    return "\n".join(f"  {handout.learner}: {handout.folder} ({handout.archive.name})" for handout in handouts)
