"""The server killed (SIGKILL) in the middle of payments and invoices, then restarted: no half-written
sale, no payment twice (the cut-off payment is resent with its one-time key), no gap in the invoice
numbers, no receipt printed twice. Two rounds here on SQLite; `python -m bench faults` runs many."""

import pytest

from bench.faults import run_rounds
from bench.load import Shop


@pytest.fixture
def shop():
    shop = Shop("SQLite", None, 300, 2)
    shop.use_cache = False
    shop.build()
    yield shop
    shop.close()


def test_sigkill_of_the_server_and_spooler_mid_sale_loses_nothing_and_repeats_nothing(shop):
    result = run_rounds(shop, rounds=2, tablets=2, seed=7)
    assert result["problems"] == []
    assert result["printer_duplicates"] == 0
    assert result["sales"] >= 1  # the tablets went on selling after each restart


def test_a_backup_taken_while_tablets_write_restores_whole(shop):
    from bench.faults import backup_under_load

    result = backup_under_load(shop, tablets=2, seconds=6)
    assert result["problems"] == []
    assert result["restored"]["voucher"][0] >= 1  # the shop's sales are in it
