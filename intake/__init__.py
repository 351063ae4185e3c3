"""Heard's domain: the independent intake queue (no Flask, no Rasa)."""
