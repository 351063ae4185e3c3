"""Offline machine translation: the engine, and translating a case's words."""
