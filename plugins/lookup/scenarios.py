# Copyright: CloudMart Lab contributors
# Apache License 2.0 (see LICENSE)
"""The lab's scenario catalog, for playbooks and roles."""

from __future__ import annotations

DOCUMENTATION = r"""
name: scenarios
short_description: The lab's scenario catalog
description:
  - Returns the scenarios of the collection's catalog (C(plugins/module_utils/scenario_catalog.yml)),
    in their order, after checking the catalog's shape; a catalog that is wrong fails with one line
    naming what is wrong.
  - Each scenario has its title, the seed document's section, time box, points, symptoms, hints,
    reference repair, order, waits, checks by level and faults (with their seed values and variants).
version_added: "0.2.0"
author: CloudMart Lab maintainers
"""

EXAMPLES = r"""
- name: Plan this learner's faults
  ansible.builtin.set_fact:
    faults_plan: "{{ lookup('cloudmart.lab.scenarios') | cloudmart.lab.fault_plan('networking', 'learner-07') }}"
"""

RETURN = r"""
_raw:
  description: The catalog's scenarios (one list).
  type: list
  elements: dict
"""

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.cloudmart.lab.plugins.module_utils.scenario_catalog import CatalogError, load


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[Any]:
        if terms:
            raise AnsibleLookupError("cloudmart.lab.scenarios takes no terms")
        try:
            # one element, the whole catalog: lookup() and query() then agree
            return [load()]
        except CatalogError as err:
            raise AnsibleLookupError(str(err)) from err
