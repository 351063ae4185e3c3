"""What Heard keeps and for how long: the retention schedule, legal holds, backup and restore.

The schedule (``policy``) is read from ``HEARD_RETENTION_*``; ``purge.apply`` carries it
out (by hand with ``intake retention apply``, daily as the worker's ``retention.apply``
job). A purged case keeps its de-identified record, so reports still count it; a case on
legal hold (``holds``) is never purged; every purge is written to the audit log.
"""
