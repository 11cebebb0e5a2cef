from tests.invoicing.conftest import paid  # noqa: F401 (a paid voucher for a known customer)
