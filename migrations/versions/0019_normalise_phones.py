"""customers' phones in the one stored form (pos.text.normalise_phone)

Before, a phone was stored as typed, less its dashes: "+86 138…" became "86138…", full-width
digits stayed full-width, so one customer could be three. From now on every path normalises
before it compares (pos.text.phone); this brings the rows already stored into that form, so
the existing customers are found by the phone typed any way. A row whose normalised phone
another customer already holds is left as it is (merging customers is a person's decision),
as is one that is not a phone at all.

Revision ID: 0019_normalise_phones
Revises: 0018_property_opening
Create Date: 2026-11-26 12:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_normalise_phones'
down_revision = '0018_property_opening'
branch_labels = None
depends_on = None


def normalise_customer_phones(conn) -> list[tuple[int, str, str]]:
    """Rewrite each customer's phone in its normalised form where that is free; returns what changed."""
    from pos.text import normalise_phone

    rows = conn.execute(sa.text("SELECT id, phone FROM customer ORDER BY id")).all()
    taken = {phone for _id, phone in rows}
    changed = []
    for row_id, phone in rows:
        new = normalise_phone(phone)
        if new and new != phone and new not in taken:
            conn.execute(sa.text("UPDATE customer SET phone = :phone WHERE id = :id"), {"phone": new, "id": row_id})
            taken.discard(phone)
            taken.add(new)
            changed.append((row_id, phone, new))
    return changed


def upgrade():
    normalise_customer_phones(op.get_bind())


def downgrade():
    pass  # the typed spellings are not kept; the normalised form is valid for the older code too
