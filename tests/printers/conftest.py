from tests.cashier.conftest import open_shift, station, write_up  # noqa: F401 (shared fixtures)
