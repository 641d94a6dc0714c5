# CloudMart Lab: `make lab` sets up and runs the lab, `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
COLLECTION_LINK := .ansible/collections/ansible_collections/cloudmart/lab
export VAGRANT_CHECKPOINT_DISABLE := 1

.PHONY: lab test test-extended setup host bundle destroy clean lint unit molecule challenge verify hint giveup reset

lab: setup ## Prepare the host, build or reuse the bundle, vagrant up, print how to reach the lab
	$(PYTHON) -m cloudmart_lab up

test: host ## Lint, unit tests, then the lab tests on a real cluster (brought up if needed)
	$(VENV)/bin/pytest

test-extended: host ## The lab tests beyond CI's: every interruption of break.yml (SIGKILL and SIGTERM, recovered both ways), a room on hosts
	$(VENV)/bin/pytest --extended -m extended tests/lab tests/workshop

unit: host ## Only the tests that need no cluster
	$(VENV)/bin/pytest -m "not lab and not molecule and not workshop"

molecule: host ## Every role's molecule scenario (`molecule test --all`), or SCENARIO=<name> alone
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/molecule test $(if $(SCENARIO),--scenario-name $(SCENARIO),--all)

lint: setup ## ruff, ansible-lint (production profile), collection build, vagrant validate
	$(VENV)/bin/pytest tests/unit/test_lint.py

host: setup ## Install the host packages the lab needs and start the Docker engine
	$(PYTHON) -m cloudmart_lab host

bundle: setup ## Build (or reuse) the Kubernetes bundle and print its folder
	$(PYTHON) -m cloudmart_lab bundle build

destroy: setup ## Remove every node, network and volume of the lab
	$(PYTHON) -m cloudmart_lab destroy

clean: setup ## Also remove lab node containers, volumes and networks an earlier run left behind
	$(PYTHON) -m cloudmart_lab clean

setup: $(VENV)/.installed $(COLLECTION_LINK)

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV) || { echo "error: python3 -m venv failed; install it: apt-get install python3-venv" >&2; exit 1; }
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Ansible finds the collection (modules, roles, inventory plugin) through this link to the checkout.
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

challenge: setup ## The timed challenge: start it, or tell the time left (DO=pause or DO=resume; SCENARIOS=a,b)
	$(VENV)/bin/ansible-playbook challenge.yml $(if $(DO),-e do=$(DO)) $(if $(SCENARIOS),-e scenarios=$(SCENARIOS))

verify: setup ## Check the lab and score the repairs (AUDIENCE=instructor for the diagnoses)
	$(VENV)/bin/ansible-playbook verify.yml $(if $(AUDIENCE),-e verify_audience=$(AUDIENCE))

hint: setup ## The next hint of a scenario, which costs points (SCENARIO=networking)
	$(VENV)/bin/ansible-playbook hint.yml -e scenario=$(SCENARIO)

giveup: setup ## Give a scenario up: repaired for you, scored 0 (SCENARIO=storage)
	$(VENV)/bin/ansible-playbook giveup.yml -e scenario=$(SCENARIO)

reset: setup ## Back to the healthy lab, the challenge and the attempts forgotten
	$(VENV)/bin/ansible-playbook reset.yml
