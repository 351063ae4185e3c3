"""gunicorn settings for the `web` process."""

import os

bind = os.environ.get("HEARD_BIND") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
# NOTE: %(U)s is the path without the query string, so a PIN in ?pin= never reaches the log.
accesslog = "-"
# NOTE: labelled, so that the log's phone-number redaction never takes "403 1234" (status, size) for a number.
access_log_format = '%(h)s "%(m)s %(U)s" status=%(s)s bytes=%(B)s %(M)sms'
