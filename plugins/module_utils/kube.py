# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""The Kubernetes API as the collection's API modules use it: one client per kubeconfig, and
errors turned into one readable sentence instead of a traceback."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

try:
    import urllib3
    from kubernetes import client, config
    from kubernetes.client.rest import ApiException

    HAS_KUBERNETES = True
except ImportError:  # reported by require_kubernetes, in words
    HAS_KUBERNETES = False

T = TypeVar("T")

# One try per request, answered or not within this many seconds: a stopped API server must give a
# quick, clear failure, not a minute of urllib3 retries.
REQUEST_TIMEOUT = 15


def run_kube_module(run_module: Callable[[Any], dict[str, Any]], argument_spec: dict[str, Any], **options: Any) -> None:
    """The main() of every API module: its options plus kubeconfig, check mode, and any KubeError
    reported as the module's one-line failure."""
    from ansible.module_utils.basic import AnsibleModule

    spec = {"kubeconfig": {"type": "path", "required": True}, **argument_spec}
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **options)
    require_kubernetes(module.fail_json)
    try:
        result = run_module(module)
    except KubeError as err:
        module.fail_json(msg=str(err))
    if not module._diff:  # as kubernetes.core does: a diff only when asked for
        result.pop("diff", None)
    module.exit_json(**result)


class KubeError(Exception):
    """A failed API call, already phrased for the person running the playbook."""


def require_kubernetes(fail: Callable[..., Any]) -> None:
    if not HAS_KUBERNETES:
        fail(msg="the Python package kubernetes is missing on the controller; install requirements.txt")


def api_client(kubeconfig: str) -> Any:
    try:
        configuration = client.Configuration()
        config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    except Exception as err:  # the loader raises several unrelated types for one cause
        raise KubeError(f"cannot read the kubeconfig {kubeconfig}: {err}") from err
    configuration.retries = False
    return client.ApiClient(configuration)


def call(what: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one API call; a refusal or an unreachable server becomes a KubeError naming `what`."""
    kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
    try:
        return func(*args, **kwargs)
    except ApiException as err:
        raise KubeError(f"{what}: {err.status} {err.reason}: {api_message(err)}") from err
    except (urllib3.exceptions.HTTPError, OSError) as err:
        raise KubeError(
            f"{what}: the Kubernetes API server does not answer ({reason(err)}); "
            "check the control plane (kubectl cluster-info) and try again"
        ) from err


def get_or_none(what: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Like call(), but an object that does not exist is None."""
    try:
        return call(what, func, *args, **kwargs)
    except KubeError as err:
        if isinstance(err.__cause__, ApiException) and err.__cause__.status == 404:
            return None
        raise


def api_message(err: Any) -> str:
    try:
        return json.loads(err.body)["message"]
    except (TypeError, ValueError, KeyError):
        return str(err.body or err.reason)


def reason(err: BaseException) -> str:
    inner = getattr(err, "reason", None)
    return str(inner or err).split(": ", 1)[-1]


def to_dict(api: Any, obj: Any) -> dict[str, Any]:
    """An API object as the plain dict kubectl would show (camelCase keys)."""
    return api.sanitize_for_serialization(obj)


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise KubeError(f"timed out after {int(timeout)} s waiting until {what}")
        time.sleep(interval)
