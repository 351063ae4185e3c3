"""TTY/TDD support: Baudot text codes and the 45.45-baud FSK modem that carries them over a phone call."""
