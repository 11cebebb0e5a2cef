"""Staff rules at the service: adding people, PINs, lockout, deactivation, audit."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pos.audit.models import AuditEntry
from pos.errors import DomainError
from pos.staff import services
from pos.staff.models import Staff
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
    session.refresh(clerk)
    assert clerk.locked_until is not None
    # five minutes later it works again
    clerk.locked_until = clerk.locked_until - timedelta(minutes=5, seconds=1)
    session.commit()
    assert services.attempt_pin_login(session, clerk.id, "1001") is clerk
    kinds = set(session.scalars(select(AuditEntry.kind).where(AuditEntry.staff_id == clerk.id)))
    assert {"staff.login_failed", "staff.locked", "staff.login"} <= kinds


def test_failures_are_kept_even_when_the_request_fails(session):
    clerk = staff_by_no("C002")
    with pytest.raises(services.WrongPin):
        services.attempt_pin_login(session, clerk.id, "9999")
    session.rollback()  # the web layer rolls back after an error: the count must survive
    session.refresh(clerk)
    assert clerk.failed_pins == 1


def test_right_pin_resets_the_count(session):
    clerk = staff_by_no("C002")
    with pytest.raises(services.WrongPin):
        services.attempt_pin_login(session, clerk.id, "9999")
    services.attempt_pin_login(session, clerk.id, "1002")
    assert clerk.failed_pins == 0


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
