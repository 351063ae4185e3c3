"""Heard's Rasa project (the `rasa` process) and its custom actions (the `actions` process)."""
