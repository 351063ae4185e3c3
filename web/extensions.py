"""Flask extensions, created unbound here and bound by ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
