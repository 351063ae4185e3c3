"""Custom actions: every word the bot says is rendered here from gettext catalogs."""
