"""Python loads this module at start-up when its folder is on PYTHONPATH: the browser test of the
after-sales month starts the live server that way, so that it can move the server's clock — the
days in the file named by POS_TEST_CLOCK_FILE, read at every call, are added to ``pos.clock``'s
now and today (the app reads time only through them). Not used by the product."""

import os
from datetime import timedelta

_FILE = os.environ.get("POS_TEST_CLOCK_FILE")

if _FILE:
    import pos.clock as _clock
    import pos.dbtypes as _dbtypes

    _real_utcnow, _real_today = _dbtypes.utcnow, _clock.local_today

    def _days() -> int:
        try:
            with open(_FILE) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def utcnow():
        return _real_utcnow() + timedelta(days=_days())

    def local_today():
        return _real_today() + timedelta(days=_days())

    _dbtypes.utcnow = _clock.utcnow = utcnow
    _clock.local_today = local_today
