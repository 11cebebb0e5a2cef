# the paid voucher is shared by every domain's tests: it lives in tests/conftest.py
from tests.conftest import paid  # noqa: F401 (kept importable from here)
