"""Email out: staff replies to residents who chose email, sent by the worker through an SMTP relay."""
