"""Staff rules at the service: adding people, PINs, lockout, deactivation, audit."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pos import tx
from pos.audit.models import AuditEntry
from pos.errors import DomainError
from pos.staff import services
from pos.staff.models import PinThrottle, Staff, StaffRole
from tests.conftest import staff_by_no

pytestmark = pytest.mark.usefixtures("english")


def count_staff(session):
    return session.scalar(select(func.count(Staff.id)))


def test_create_staff_hashes_pin_and_audits(session):
    manager = staff_by_no("M001")
    s = services.create_staff(session, staff_no="C009", full_name="钱多多", roles=["clerk", "cashier"],
                              pin="4321", actor=manager)
    session.commit()
    assert s.roles == {"clerk", "cashier"}
    assert "4321" not in s.pin_hash
    entry = session.scalar(select(AuditEntry).where(AuditEntry.kind == "staff.created",
                                                   AuditEntry.record_id == str(s.id)))
    assert entry.staff_id == manager.id and entry.record_id == str(s.id)


@pytest.mark.parametrize("pin", ["", "123", "1234567", "12a4", "١٢٣٤", " 12 34"])
def test_pin_must_be_4_to_6_digits(session, pin):
    before = count_staff(session)
    with pytest.raises(DomainError, match="4 to 6 digits"):
        services.create_staff(session, staff_no="X1", full_name="甲", roles=["clerk"], pin=pin, actor=None)
    session.rollback()
    assert count_staff(session) == before


def test_duplicate_staff_number_is_refused(session):
    with pytest.raises(DomainError, match="already taken"):
        services.create_staff(session, staff_no="c001", full_name="重复", roles=["clerk"], pin="1234", actor=None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"staff_no": ""}, "staff number"),
        ({"staff_no": "A" * 21}, "staff number"),
        ({"staff_no": "有中文"}, "staff number"),
        ({"full_name": "  "}, "full name"),
        ({"full_name": "名" * 41}, "at most"),
        ({"roles": []}, "at least one role"),
        ({"roles": ["boss"]}, "Unknown role"),
        ({"roles": ["manager"]}, "password"),
        ({"roles": ["manager"], "password": "short"}, "password"),
    ],
)
def test_bad_staff_input(session, kwargs, message):
    data = {"staff_no": "N1", "full_name": "新人", "roles": ["clerk"], "pin": "1234", "password": None, **kwargs}
    before = count_staff(session)
    with pytest.raises(DomainError, match=message):
        services.create_staff(session, actor=None, **data)
    session.rollback()
    assert count_staff(session) == before


def test_five_wrong_pins_lock_for_five_minutes(session):
    clerk = staff_by_no("C001")
    for n in range(4):
        with pytest.raises(services.WrongPin, match=f"{4 - n} tries left"):
            services.attempt_pin_login(session, clerk.id, "0000")
    with pytest.raises(services.Locked, match="locked for 5 minutes"):
        services.attempt_pin_login(session, clerk.id, "0000")
    # even the right PIN is refused while locked
    with pytest.raises(services.Locked, match="more minute"):
        services.attempt_pin_login(session, clerk.id, "1001")
    session.expire(clerk)
    assert clerk.locked_until is not None  # the staff screens show it
    # five minutes later it works again
    _age_locks(session, clerk, timedelta(minutes=5, seconds=1))
    assert services.attempt_pin_login(session, clerk.id, "1001") is clerk
    kinds = set(session.scalars(select(AuditEntry.kind).where(AuditEntry.staff_id == clerk.id)))
    assert {"staff.login_failed", "staff.locked", "staff.login"} <= kinds


def _age_locks(session, staff, by):
    for row in session.scalars(select(PinThrottle).where(PinThrottle.staff_id == staff.id)):
        if row.locked_until is not None:
            row.locked_until -= by
    session.commit()


def _failures(session, staff, client="", kind="pin"):
    session.expire_all()
    return session.scalar(select(PinThrottle.failures).where(
        PinThrottle.staff_id == staff.id, PinThrottle.client == client, PinThrottle.kind == kind)) or 0


def test_failures_are_kept_even_when_the_request_fails(session):
    clerk = staff_by_no("C002")
    with pytest.raises(services.WrongPin):
        services.attempt_pin_login(session, clerk.id, "9999")
    tx.rollback(session)  # the web layer rolls back after an error: the count must survive
    assert _failures(session, clerk) == 1
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.kind == "staff.login_failed")) == 1


def test_a_wrong_manager_pin_keeps_the_try_and_undoes_only_the_request(session):
    """In the middle of a sale: the request's work is rolled back, the wrong PIN is still counted,
    and nothing of the request was committed by the PIN check."""
    manager, clerk = staff_by_no("M001"), staff_by_no("C001")
    tx.begin(session)
    clerk.full_name = "改过的名字"  # stands for the request's own work
    session.flush()
    with pytest.raises(services.WrongPin):
        services.verify_manager_pin(session, manager.id, "0000", client="10.0.0.7")
    tx.rollback(session)
    session.expire_all()
    assert staff_by_no("C001").full_name != "改过的名字"
    assert _failures(session, manager, "10.0.0.7") == 1


def test_right_pin_resets_the_count(session):
    clerk = staff_by_no("C002")
    with pytest.raises(services.WrongPin):
        services.attempt_pin_login(session, clerk.id, "9999")
    services.attempt_pin_login(session, clerk.id, "1002")
    assert _failures(session, clerk) == 0


def test_a_lock_holds_on_one_tablet_only(session):
    """Five wrong PINs typed on one tablet lock that person there; on their own tablet they log in."""
    clerk = staff_by_no("C001")
    for _ in range(5):
        with pytest.raises(DomainError):
            services.attempt_pin_login(session, clerk.id, "0000", client="10.0.0.66")
        tx.rollback(session)
    with pytest.raises(services.Locked):
        services.attempt_pin_login(session, clerk.id, "1001", client="10.0.0.66")
    tx.rollback(session)
    assert services.attempt_pin_login(session, clerk.id, "1001", client="10.0.0.5") is clerk


def test_a_manager_waits_longer_after_each_wrong_pin_and_is_never_locked_out(session, app):
    """Past the limit each wrong PIN makes the manager wait on that tablet: 15 s, 30 s, 60 s … up to
    5 minutes (the setting); after the wait the right PIN works — no five-minute hard lock."""
    manager = staff_by_no("M001")
    waits = []
    for n in range(8):
        try:
            services.verify_manager_pin(session, manager.id, "0000", client="10.0.0.66")
        except services.Locked as e:
            assert "wait" in e.message
            row = session.scalar(select(PinThrottle).where(PinThrottle.staff_id == manager.id))
            session.refresh(row)
            waits.append(round((row.locked_until - row.last_failed_at).total_seconds()))
            _age_locks(session, manager, timedelta(minutes=10))  # the wait passes
        except services.WrongPin:
            assert n < 4
        tx.rollback(session)
    assert waits == [15, 30, 60, 120]
    # while waiting even the right PIN is refused, unchecked
    with pytest.raises(services.Locked, match="wait"):
        services.verify_manager_pin(session, manager.id, "0000", client="10.0.0.66")
    tx.rollback(session)
    _age_locks(session, manager, timedelta(minutes=10))
    assert services.verify_manager_pin(session, manager.id, "9001", client="10.0.0.66") is manager
    assert _failures(session, manager, "10.0.0.66") == 0


def test_the_managers_password_login_is_not_locked_by_wrong_pins(session):
    manager = staff_by_no("M001")
    for _ in range(7):
        with pytest.raises(DomainError):
            services.verify_manager_pin(session, manager.id, "0000", client="10.0.0.9")
        tx.rollback(session)
    with pytest.raises(services.Locked):
        services.verify_manager_pin(session, manager.id, "9001", client="10.0.0.9")
    tx.rollback(session)
    assert services.attempt_password_login(session, "M001", "manager-demo", client="10.0.0.9") == manager


def test_logging_out_everywhere_bumps_the_session_generation(session):
    clerk = staff_by_no("C001")
    before = clerk.get_id()
    services.end_sessions(session, clerk)
    session.commit()
    session.expire_all()
    assert staff_by_no("C001").get_id() != before


def test_deactivated_staff_cannot_log_in(session):
    manager, clerk = staff_by_no("M001"), staff_by_no("C002")
    services.deactivate(session, clerk, actor=manager, reason="离职")
    session.commit()
    with pytest.raises(services.Deactivated, match="deactivated"):
        services.attempt_pin_login(session, clerk.id, "1002")
    assert clerk not in services.login_tiles(session)
    assert session.get(Staff, clerk.id) is not None  # never deleted


def test_cannot_deactivate_self_or_last_manager(session):
    manager = staff_by_no("M001")
    with pytest.raises(DomainError, match="yourself"):
        services.deactivate(session, manager, actor=manager)
    other = services.create_staff(session, staff_no="M002", full_name="副店长", roles=["manager"], pin="5555",
                                  password="password-2", actor=manager)
    services.deactivate(session, other, actor=manager)
    with pytest.raises(DomainError, match="last active manager"):
        services.deactivate(session, manager, actor=staff_by_no("C001"))


def test_reset_pin_lifts_the_lock(session):
    manager, clerk = staff_by_no("M001"), staff_by_no("C001")
    for _ in range(5):
        with pytest.raises(DomainError):
            services.attempt_pin_login(session, clerk.id, "0000")
    services.reset_pin(session, clerk, "2468", actor=manager)
    session.commit()
    assert services.attempt_pin_login(session, clerk.id, "2468") is clerk


def test_password_login_is_for_managers(session):
    assert services.attempt_password_login(session, "M001", "manager-demo").staff_no == "M001"
    with pytest.raises(services.WrongPin, match="Wrong staff number or password"):
        services.attempt_password_login(session, "M001", "nope-nope")
    with pytest.raises(services.WrongPin):
        services.attempt_password_login(session, "C001", "anything")
    with pytest.raises(services.WrongPin):
        services.attempt_password_login(session, "NOBODY", "anything")


def test_change_roles(session):
    manager, clerk = staff_by_no("M001"), staff_by_no("C001")
    services.change_roles(session, clerk, ["clerk", "delivery"], actor=manager)
    assert clerk.roles == {"clerk", "delivery"}
    with pytest.raises(DomainError, match="password"):
        services.change_roles(session, clerk, ["manager"], actor=manager)
    with pytest.raises(DomainError, match="from yourself"):
        services.change_roles(session, manager, ["clerk"], actor=manager)


def test_manager_pin_approval(session):
    manager = staff_by_no("M001")
    assert services.verify_manager_pin(session, manager.id, "9001") is manager
    with pytest.raises(services.WrongPin):
        services.verify_manager_pin(session, manager.id, "0000")
    with pytest.raises(DomainError, match="not a manager"):
        services.verify_manager_pin(session, staff_by_no("C001").id, "1001")


def test_a_right_pin_is_hashed_once_per_process_a_wrong_one_every_time(session, monkeypatch):
    """Logging in again with the same PIN does not pay the slow hash again; a wrong PIN always does,
    and a new PIN (a new hash) makes the remembered one worthless."""
    calls = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, s: calls.append(s) or real(h, s))
    monkeypatch.setattr(services, "_VERIFIED", type(services._VERIFIED)())
    manager, clerk = staff_by_no("M001"), staff_by_no("C002")
    for _ in range(3):
        assert services.attempt_pin_login(session, clerk.id, "1002") is clerk
    assert calls == ["1002"]
    for _ in range(2):
        with pytest.raises(services.WrongPin):
            services.attempt_pin_login(session, clerk.id, "9999")
    assert calls == ["1002", "9999", "9999"]
    services.reset_pin(session, clerk, "2468", actor=manager)
    session.commit()
    with pytest.raises(services.WrongPin):
        services.attempt_pin_login(session, clerk.id, "1002")
    assert services.attempt_pin_login(session, clerk.id, "2468") is clerk
    assert services.attempt_pin_login(session, clerk.id, "2468") is clerk
    assert calls == ["1002", "9999", "9999", "1002", "2468"]
    assert not any(b"1002" in digest or b"2468" in digest for digest in services._VERIFIED)


def test_a_remembered_right_pin_still_meets_the_lock_and_clears_the_count(session, monkeypatch):
    """A PIN this process already found right skips counting the try (nothing to guess, nothing slow
    to count ahead of) but not the lock: refused while it lasts; otherwise the count starts again, and
    when there is nothing to clear the throttle is only read."""
    from tests.helpers import statements

    calls = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, s: calls.append(s) or real(h, s))
    monkeypatch.setattr(services, "_VERIFIED", type(services._VERIFIED)())
    clerk = staff_by_no("C001")
    assert services.attempt_pin_login(session, clerk.id, "1001", client="10.0.0.9") is clerk  # remembered now
    with statements() as seen:
        services.attempt_pin_login(session, clerk.id, "1001", client="10.0.0.9")
    throttle = [sql for sql, _p in seen if "pin_throttle" in sql]
    assert len(throttle) == 1 and throttle[0].lstrip().upper().startswith("SELECT"), throttle
    for _ in range(2):
        with pytest.raises(services.WrongPin):
            services.attempt_pin_login(session, clerk.id, "0000", client="10.0.0.9")
        tx.rollback(session)
    assert _failures(session, clerk, "10.0.0.9") == 2
    services.attempt_pin_login(session, clerk.id, "1001", client="10.0.0.9")
    session.commit()
    assert _failures(session, clerk, "10.0.0.9") == 0
    for _ in range(5):
        with pytest.raises(DomainError):
            services.attempt_pin_login(session, clerk.id, "0000", client="10.0.0.9")
        tx.rollback(session)
    with pytest.raises(services.Locked, match="more minute"):
        services.attempt_pin_login(session, clerk.id, "1001", client="10.0.0.9")
    tx.rollback(session)
    assert calls.count("1001") == 1  # the right PIN was hashed once, the lock refused it all the same
    _age_locks(session, clerk, timedelta(minutes=5, seconds=1))
    assert services.attempt_pin_login(session, clerk.id, "1001", client="10.0.0.9") is clerk
    session.commit()
    assert _failures(session, clerk, "10.0.0.9") == 0
    session.expire(clerk)
    assert clerk.locked_until is None


def test_the_logged_in_persons_roles_are_kept_for_the_request_and_forgotten_when_expired_or_changed(session):
    """Staff.know_roles (pos.staff.services.logged_in): the roles stay known when the row is read again
    under a lock (populate_existing resets its unread relationships), and are read again once the person
    is expired (a rollback, ``session.expire``) or their roles are set."""
    from pos.sales.models import Voucher

    staff = services.logged_in(session, staff_by_no("C001").id)
    assert staff.roles == {"clerk"}
    voucher = Voucher(clerk=staff, status="draft", channel="counter")
    session.add(voucher)
    session.flush()
    session.get(Voucher, voucher.id, populate_existing=True, with_for_update={"of": Voucher})
    assert "role_rows" not in staff.__dict__  # reset by the read under the lock …
    assert staff.roles == {"clerk"} and "role_rows" not in staff.__dict__  # … and not read again
    session.add(StaffRole(staff_id=staff.id, role="cashier"))
    session.flush()
    assert staff.roles == {"clerk"}
    session.expire(staff)
    assert staff.roles == {"cashier", "clerk"}  # read again
    staff.know_roles()
    staff.set_roles(["clerk"])
    assert staff.roles == {"clerk"}
    session.rollback()
