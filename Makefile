# Heard: `make run` starts everything, `make test` proves it. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
RASA_VENV := .venv-rasa
INTAKE := $(VENV)/bin/intake
export HEARD_INSTANCE_DIR ?= $(CURDIR)/instance
export PORT ?= 5000

.PHONY: help setup run test test-fast lint typecheck lock clean catalogs

catalogs: $(VENV)/.installed ## Re-extract locales/*.pot (bot, messages, web; console) and merge them into the catalogs
	$(VENV)/bin/pybabel extract -F locales/babel.cfg -k t:2 -k _ -k keyword_set:2c,3 -k matches:3c,4 \
	  --no-default-keywords --sort-by-file --project Heard --copyright-holder "Heard contributors" \
	  -o locales/bot.pot bot/actions
	$(VENV)/bin/pybabel extract -F locales/babel.cfg -k t:2 -k _ \
	  --no-default-keywords --sort-by-file --project Heard --copyright-holder "Heard contributors" \
	  -o locales/messages.pot webhooks
	$(VENV)/bin/pybabel extract -F locales/babel.cfg -k wt:2 -k N_ -k tr \
	  --no-default-keywords --sort-by-file --project Heard --copyright-holder "Heard contributors" \
	  -o locales/web.pot webhooks
	$(VENV)/bin/pybabel extract -F locales/babel.cfg -k _ -k _l -k ngettext:1,2 \
	  --no-default-keywords --sort-by-file --project Heard --copyright-holder "Heard contributors" \
	  -o locales/console.pot console
	$(VENV)/bin/python scripts/update-catalogs
	$(VENV)/bin/python scripts/compile-catalogs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# .venv (Python 3.12) installs dev.lock: the production lock (service.lock, which a deployment
# installs alone) plus the test and lint tools, at the same versions. .venv-rasa stays on 3.10.
$(VENV)/.installed: requirements/service.lock requirements/dev.lock pyproject.toml
	@py=$$(scripts/find-python 3.12) && echo "creating $(VENV) with $$py" && "$$py" -m venv --clear $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements/dev.lock
	$(VENV)/bin/pip install --quiet --no-deps -e .
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock
	@py=$$(scripts/find-python 3.10) && echo "creating $(RASA_VENV) with $$py (Rasa is large: a few minutes)" && "$$py" -m venv --clear $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet -r requirements/rasa.lock
	@touch $@

setup: $(VENV)/.installed $(RASA_VENV)/.installed ## Create both environments, secrets, catalogs, schema, Rasa model
	@$(INTAKE) secrets init
	@$(INTAKE) db upgrade
	@$(VENV)/bin/python scripts/compile-catalogs
	@scripts/train-bot

run: setup ## Set up, then start every Procfile process on the embedded default
	@echo
	@echo "Heard is starting:"
	@echo "  health:   http://127.0.0.1:$(PORT)/healthz"
	@echo "  web:      http://127.0.0.1:$(PORT)/   (demo city page with the chat widget; /report, /status without JavaScript)"
	@echo "  Rasa:     http://127.0.0.1:5005/webhooks/rest/webhook   (REST channel, loopback only)"
	@echo "  API:      http://127.0.0.1:$(PORT)/api/v1/complaints   (token: $(INTAKE) partner create NAME)"
	@echo "  API docs: http://127.0.0.1:$(PORT)/api/v1/openapi.json"
	@echo "  Twilio:   $${PUBLIC_BASE_URL:-https://YOUR-TUNNEL}/twilio/sms (messaging), /twilio/voice (calls)"
	@echo "  TTY:      http://$${HEARD_TTY_BIND:-127.0.0.1:5001} (the streams process: route /twilio/tty/ there, see README)"
	@[ -n "$$TWILIO_AUTH_TOKEN" ] || echo "            TWILIO_AUTH_TOKEN is not set: every Twilio webhook will be refused (403)"
	@echo "  Stop with Ctrl-C."
	@echo
	@# NOTE: honcho gives each process its own PORT (web's, then +100 each): the actions find the web by
	@# HEARD_INTERNAL_URL, and /healthz checks the action server by HEARD_ACTIONS_URL.
	HEARD_INTERNAL_URL=$${HEARD_INTERNAL_URL:-http://127.0.0.1:$(PORT)} \
	HEARD_ACTIONS_URL=$${HEARD_ACTIONS_URL:-http://127.0.0.1:5055/webhook} \
	$(VENV)/bin/honcho start -f Procfile

test: setup ## Set up, then run the whole suite (PostgreSQL when TEST_DATABASE_URL is set)
	scripts/run-tests

test-fast: $(VENV)/.installed ## Run the suite without setting up again
	scripts/run-tests

lint: $(VENV)/.installed ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

lock: ## Re-resolve the lock files (service, dev: Python 3.12; rasa: 3.10) from requirements/*.in (needs the network)
	scripts/lock

clean: ## Remove both environments (keeps instance/ and its secrets)
	rm -rf $(VENV) $(RASA_VENV)
