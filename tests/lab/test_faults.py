"""break.yml, solve.yml and reset.yml on the real lab. Each round breaks every scenario (with the
seed document's values, then with one learner's variants), observes the symptoms the seed
describes, applies the reference repairs, and then a purchase works and no row of data is lost."""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

import pytest
from kubernetes.utils import parse_quantity

from cloudmart_lab.paths import REPO
from cloudmart_lab.runner import PlaybookRun, run_playbook
from tests.lab.cloudmart import CloudMart
from tests.lab.cluster import Cluster, eventually
from tests.lab.conftest import FAULTS_STATE, NOTES
from tests.lab.interrupted import MOMENTS, assert_written_ahead, interrupt_when, snapshot, start
from tests.lab.leaks import found_in, injected_tokens, leaks, tells_the_tasks
from tests.lab.verification import Verification, verify

sys.path.insert(0, str(REPO / ".ansible" / "collections"))

from ansible_collections.cloudmart.lab.plugins.filter.faults import fault_plan
from ansible_collections.cloudmart.lab.plugins.module_utils import scenario_catalog

CATALOG = scenario_catalog.load()
pytestmark = pytest.mark.usefixtures("repaired_afterwards")
API_SCENARIOS = "networking,storage,deployment"
# Each round's break is killed once part-way (see test_interruptions.py); the next break.yml finishes it.
ROUND_INTERRUPTED = {None: "networking", "learner-07": "control-plane"}


def playbook(name: str, lab_seed: str | None = None, verbosity: int = 0, **extravars: Any) -> PlaybookRun:
    if lab_seed:
        extravars["lab_seed"] = lab_seed
    return run_playbook(f"playbooks/{name}.yml", extravars=extravars, verbosity=verbosity)


def break_in_round(lab: Cluster, lab_seed: str | None, scenarios: str) -> PlaybookRun:
    """break.yml of the chosen scenarios; in the round's interrupted scenario, killed (SIGKILL) at
    its moment, leaving its record `breaking`, then run again to the end, at -v, as a learner
    curious about what it does would: what it prints names none of the values it injects."""
    moment = MOMENTS[ROUND_INTERRUPTED[lab_seed]]
    if moment.scenario in scenarios.split(","):
        before = snapshot(lab)
        run = start("break.yml", scenarios=scenarios, **({"lab_seed": lab_seed} if lab_seed else {}))
        interrupt_when(run, lambda: moment.happened(lab, before), moment.what)
        assert_written_ahead(moment)
    broken = playbook("break", lab_seed, verbosity=1, scenarios=scenarios)
    told = found_in(broken.output, injected_tokens(CATALOG, planned(lab_seed)))
    assert not told, f"break.yml -v gives away {told}"
    assert not tells_the_tasks(broken.output, CATALOG), "break.yml names no task that acts on a fault"
    return broken


def planned(lab_seed: str | None) -> dict[str, Any]:
    return {fault["id"]: fault["value"] for scenario in fault_plan(CATALOG, None, lab_seed) for fault in scenario["faults"]}


@pytest.fixture(scope="module")
def shop(lab: Cluster) -> CloudMart:
    lab.wait_until_settled()
    return CloudMart(lab)


def endpoints(lab: Cluster, namespace: str, name: str) -> list[str]:
    found = lab.core.read_namespaced_endpoints(name, namespace)
    return [address.ip for subset in found.subsets or [] for address in subset.addresses or []]


def nslookup(lab: Cluster, name: str) -> str:
    namespace = lab.namespace("dns")
    _, log = lab.run_to_completion(namespace, f"nslookup-{uuid.uuid4().hex[:6]}", ["nslookup", name])
    return log


def reachable(lab: Cluster, namespace: str, service: str) -> bool:
    """Whether a pod reaches the Service's cluster IP on 8080 within 3 s (no DNS involved)."""
    ip = lab.core.read_namespaced_service(service, namespace).spec.cluster_ip
    phase, _ = lab.run_to_completion(lab.namespace("reach"), f"nc-{uuid.uuid4().hex[:6]}", ["nc", "-z", "-w", "3", ip, "8080"])
    return phase == "Succeeded"


def pod_phases(lab: Cluster, namespace: str, selector: str) -> list[str]:
    return [pod.status.phase for pod in lab.core.list_namespaced_pod(namespace, label_selector=selector).items]


def scheduling_failures(lab: Cluster, namespace: str, prefix: str) -> str:
    events = lab.core.list_namespaced_event(namespace, field_selector="reason=FailedScheduling").items
    return " ".join(e.message for e in events if e.involved_object.name.startswith(prefix))


def observe_networking(lab: Cluster, values: dict[str, Any]) -> None:
    assert endpoints(lab, "backend", "user-service") == [], "user-service's selector must match no pod"
    assert endpoints(lab, "backend", "product-service") == [], "product-service's selector must match no pod"
    service = lab.core.read_namespaced_service("user-service", "backend")
    assert service.spec.ports[0].target_port == values["user-service-target-port"]
    denied = values["dns-nxdomain"]
    assert "NXDOMAIN" in nslookup(lab, denied), f"nslookup {denied} from a pod must answer NXDOMAIN"
    assert lab.core.read_namespaced_service(denied.split(".")[0], denied.split(".")[1]), "the denied Service still exists"
    assert reachable(lab, "backend", "notification-service"), "a pod reaches a Service no policy guards"
    assert not reachable(lab, "backend", "payment-service"), "the NetworkPolicy must drop calls to payment-service"


def observe_storage(lab: Cluster, values: dict[str, Any]) -> None:
    for claim in ("postgres-data", "mongodb-data"):
        found = lab.core.read_namespaced_persistent_volume_claim(claim, "data")
        assert found.status.phase == "Pending", f"claim {claim} is {found.status.phase}"
        assert found.spec.storage_class_name == values[claim]["storage_class"]
        assert found.spec.access_modes == values[claim]["access_modes"]
    for app in ("postgres-user", "ferretdb"):
        eventually(
            lambda app=app: pod_phases(lab, "data", f"app={app}") == ["Pending"],
            timeout=120,
            what=f"the {app} pod is Pending on its claim",
        )
    kept = [
        pv
        for pv in lab.core.list_persistent_volume().items
        if pv.spec.claim_ref and pv.spec.claim_ref.name in ("postgres-data", "mongodb-data")
    ]
    assert len(kept) == 2 and all(pv.spec.persistent_volume_reclaim_policy == "Retain" for pv in kept), kept
    assert all(pv.status.phase == "Available" for pv in kept), [pv.status.phase for pv in kept]


def observe_deployment(lab: Cluster, values: dict[str, Any]) -> None:
    def down() -> bool:
        status = lab.apps.read_namespaced_deployment("order-service", "backend").status
        return not status.available_replicas and not status.ready_replicas

    eventually(down, timeout=120, what="every order-service pod is gone at once (maxUnavailable 100%)")
    eventually(
        lambda: "Insufficient" in scheduling_failures(lab, "backend", "order-service"),
        timeout=60,
        what="the new order-service pods fail to schedule for lack of CPU or memory",
    )
    wanted = {k: parse_quantity(v) for k, v in values["impossible-requests"].items()}
    for node in lab.core.list_node().items:
        has = {k: parse_quantity(node.status.allocatable[k]) for k in wanted}
        assert any(wanted[k] > has[k] for k in wanted), f"the requests {wanted} fit node {node.metadata.name} ({has})"
    history = [rs for rs in lab.apps.list_namespaced_replica_set("backend", label_selector="app=order-service").items]
    assert len(history) >= 2, "kubectl rollout history must have the healthy revision to return to"


def observe_control_plane(lab: Cluster, values: dict[str, Any]) -> None:
    answer = lab.kubectl("get", "nodes", "--request-timeout=10s", check=False)
    assert answer.returncode != 0, "the API server must not answer"
    assert any(word in answer.stderr for word in ("refused", "timeout", "Timeout")), answer.stderr
    node = lab.host(lab.settings.control_plane.name)
    manifest = node.file("/etc/kubernetes/manifests/kube-apiserver.yaml").content_string
    assert f"--etcd-servers={values['etcd-servers']}" in manifest and f"--secure-port={values['secure-port']}" in manifest
    assert "containerPort: 6443" in manifest, "the probes' port stays 6443, as a real mis-edit leaves it"
    places = "/etc /root /home /opt /srv /tmp /var/tmp /var/backups /var/lib/cloudmart-lab"
    kept = node.run(f"grep -rl -- '--secure-port=6443' {places} 2>/dev/null").stdout.split()
    assert kept == [], f"a healthy copy of the manifest, the answer, is on the node a learner is root on: {kept}"
    listening = node.check_output("ss -Htln")
    assert ":6443 " not in listening, "the kubelet restarted the API server with the broken flags"


# What verify must find after the API scenarios' break, per scenario: the checks that fail, and
# words their findings must contain (the objects, never the injected values).
EXPECTED_FINDINGS = {
    "networking": {
        "services-have-endpoints": ["backend/user-service", "backend/product-service"],
        "service-names-resolve": ["does not resolve"],
        "service-target-ports": ["backend/user-service"],
        "service-selectors": ["backend/user-service", "backend/product-service"],
        "network-policies-admit-callers": ["payment-service", "order-service"],
    },
    "storage": {
        "claims-bound": ["data/postgres-data", "data/mongodb-data"],
        "data-layer-ready": ["postgres-user", "ferretdb"],
        "claim-storage-classes": ["data/postgres-data"],
        "claim-specs-satisfiable": ["data/mongodb-data"],
        "seeded-data-intact": ["userdb"],
        "storage-quota": ["namespace data"],
    },
    "deployment": {
        "workloads-available": ["backend/order-service"],
        "rollout-keeps-capacity": ["backend/order-service"],
        "images-available": ["backend/order-service"],
        "requests-fit-nodes": ["backend/order-service"],
        "probe-timeouts": ["backend/order-service"],
        "container-limits": ["namespace backend"],
    },
}
CONTROL_PLANE_FAILS = ["api-server-answers", "apiserver-etcd-servers", "apiserver-secure-port", "static-pods-running"]


def assert_full_marks(result: Verification) -> None:
    assert result.run.ok and result.report["score"] == 100, f"{result}\n{result.run.failures}"
    assert all(s["level"] == "prevention" for s in result.report["scenarios"]), result


def assert_the_learner_is_told_symptoms_only(result: Verification, values: dict[str, Any], language: str) -> None:
    """What a learner reads of verify (the terminal at -v and every report file) names symptoms:
    none of the values injected into this lab, no diagnosis, no check's name."""
    told = leaks(result.learner_saw(), CATALOG, values, result.report)
    assert not told, f"the learner's view gives away {told}"
    assert result.learner and result.learner["still_wrong"], "the learner still sees what is wrong"
    heading = {"en": "What is still wrong:", "ko": "아직 남은 문제:"}[language]
    assert heading in result.run.output, f"the report is in the lab's language ({language})"


def assert_api_scenarios_found(result: Verification) -> None:
    assert not result.run.ok, "verify must fail while scenarios are broken"
    for scenario, checks in EXPECTED_FINDINGS.items():
        found = result.scenario(scenario)
        assert found["earned"] < found["points"], f"{scenario}: {result}"
        for check, words in checks.items():
            assert result.outcome(check) == "failed", f"{check} must fail: {result}"
            text = result.findings(check)
            assert all(word in text for word in words), f"{check}: {text}"
    control_plane = result.scenario("control-plane")
    assert (control_plane["earned"], control_plane["failed"]) == (25, []), result


def assert_control_plane_found(result: Verification) -> None:
    assert not result.run.ok
    for check in CONTROL_PLANE_FAILS:
        assert result.outcome(check) == "failed", f"{check}: {result}"
    assert "control-plane: kube-apiserver's --etcd-servers names" in result.findings("apiserver-etcd-servers")
    assert result.outcome("node-services") == "passed", result
    for check in ("nodes-ready", "services-have-endpoints", "claims-bound", "workloads-available"):
        assert result.outcome(check) == "blocked", f"{check}: {result}"
        assert "does not answer" in result.findings(check), result.findings(check)


def test_break_refuses_an_unknown_scenario_and_changes_nothing(lab: Cluster):
    run = playbook("break", scenarios="networking,dns")
    assert not run.ok and run.changed == 0
    message = " ".join(run.failures)
    assert "unknown scenario dns: choose from control-plane, networking, storage, deployment" in message, message
    assert not FAULTS_STATE.exists() or json.loads(FAULTS_STATE.read_text()) == {}


def test_break_refuses_an_unhealthy_cluster_and_names_the_problem(lab: Cluster, shop: CloudMart):
    stuck = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "stuck", "namespace": "frontend"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "stuck"}},
            "template": {
                "metadata": {"labels": {"app": "stuck"}},
                "spec": {"containers": [{"name": "main", "image": "localhost/cloudmart/absent:never"}]},
            },
        },
    }
    lab.apps.create_namespaced_deployment("frontend", stuck)
    try:
        run = playbook("break")
        assert not run.ok and run.changed == 0
        message = " ".join(run.failures)
        assert "not healthy before the break" in message, message
        assert "Deployment frontend/stuck has 0 of 1 replicas ready" in message, message
        assert lab.core.read_namespaced_service("user-service", "backend").spec.selector == {"app": "user-service"}
    finally:
        lab.apps.delete_namespaced_deployment("stuck", "frontend")


def test_break_in_check_mode_reports_the_changes_and_makes_none(lab: Cluster, shop: CloudMart):
    run = run_playbook("playbooks/break.yml", check=True)
    assert run.ok and run.changed > 0, run.failures
    service = lab.core.read_namespaced_service("user-service", "backend")
    assert service.spec.selector == {"app": "user-service"} and service.spec.ports[0].target_port == 8080
    assert lab.core.read_namespaced_persistent_volume_claim("postgres-data", "data").status.phase == "Bound"
    assert lab.kubectl("get", "nodes", "--request-timeout=10s", check=False).returncode == 0
    assert not FAULTS_STATE.exists() or json.loads(FAULTS_STATE.read_text()) == {}

    tagged = run_playbook("playbooks/break.yml", check=True, tags="networking")
    assert tagged.ok, tagged.failures
    changed = " ".join(tagged.changed_tasks)
    assert "Set the Services' selectors" in changed, changed
    assert "API server's manifest" not in changed and "claims" not in changed, changed


@pytest.mark.parametrize("lab_seed", [None, "learner-07"], ids=["seed-values", "lab-seed-variant"])
def test_break_every_scenario_observe_the_symptoms_then_solve_without_losing_data(lab: Cluster, shop: CloudMart, lab_seed):
    values = planned(lab_seed)
    before = shop.fingerprint()  # break.yml itself refuses a lab that is not healthy

    broken = break_in_round(lab, lab_seed, API_SCENARIOS)
    assert broken.ok, broken.failures
    observe_networking(lab, values)
    observe_storage(lab, values)
    observe_deployment(lab, values)
    assert shop.http("GET", "/shop/api/products", timeout=20).status >= 500, "the shop's catalogue must fail"
    # one round's learner reads Korean
    language = "ko" if lab_seed else "en"
    result = verify(lab_language=language)
    assert_api_scenarios_found(result)
    assert_the_learner_is_told_symptoms_only(result, values, language)

    broken = break_in_round(lab, lab_seed, "control-plane")
    assert broken.ok, broken.failures
    observe_control_plane(lab, values)
    result = verify(lab_language=language)
    assert_control_plane_found(result)
    assert_the_learner_is_told_symptoms_only(result, values, language)
    state = json.loads(FAULTS_STATE.read_text())
    assert sorted(state) == sorted(s["name"] for s in CATALOG), state
    assert all(s["status"] == "broken" and s["broken_at"] for s in state.values()), "the interrupted break was finished"
    assert state["storage"]["values"]["postgres-data"] == values["postgres-data"]

    again = playbook("break", lab_seed)
    assert again.ok and again.changed == 0, f"breaking twice changed: {again.changed_tasks} {again.failures}"

    solved = playbook("solve")
    assert solved.ok, solved.failures
    lab.wait_until_settled()
    assert shop.fingerprint() == before, "every row of every store must be as it was before the break"
    # Seen in CI: the first order right after the repairs came back payment_failed; the next ones
    # were paid. The lab must converge; why it did not at once is noted for the run's summary.
    try:
        shop.purchase()
    except (AssertionError, OSError) as first:
        NOTES.append(f"{lab_seed or 'seed values'}: the first purchase after solve.yml failed: {first}")
        for app in ("order-service", "payment-service"):
            said = [json.dumps(e) for e in shop.logs("backend", f"app={app}", since="5m") if "payment" in e.get("msg", "")]
            NOTES.extend(f"  {app}: {line}" for line in said[-20:])
        eventually(shop.purchase, timeout=120, interval=10, what="a paid purchase once repaired")
    assert json.loads(FAULTS_STATE.read_text()) == {}
    assert_full_marks(verify())

    again = playbook("solve")
    assert again.ok and again.changed == 0, f"solving a repaired lab changed: {again.changed_tasks}"
