"""Adding a product at the counter answers only what changed (issue 19): the new line (appended to
the list) or the line it added to, the total and — only when they change — the suggestions, each
swapped by its id; not the whole voucher panel. The first line, refusals and the other changes
still answer the whole panel."""

import re
from decimal import Decimal

from sqlalchemy import select

from pos.catalog.models import Product, ProductRelation
from pos.money import format_money
from pos.sales.models import Voucher
from tests.conftest import CLERK, MANAGER, staff_by_no
from tests.helpers import statements, text

HX = {"HX-Request": "true"}


def add(client, product_id, **extra):
    return client.post("/counter/lines", data={"product_id": product_id, "quantity": "1", **extra}, headers=HX)


def the_draft(session):
    session.expire_all()
    return session.scalar(select(Voucher).where(Voucher.clerk_id == staff_by_no(CLERK).id, Voucher.status == "draft")
                          .order_by(Voucher.id.desc()))


def in_stock(session, n, *, skip=()):
    """``n`` active products with plenty of stock and no accessories (so the suggestions stay as they are)."""
    with_accessories = select(ProductRelation.product_id).where(ProductRelation.kind == "accessory")
    return list(session.scalars(select(Product).where(
        Product.stock_on_hand > 20, Product.active.is_(True), Product.id.not_in(with_accessories),
        Product.id.not_in(list(skip) or [0])).order_by(Product.id).limit(n)))


def test_the_first_line_answers_the_whole_panel(as_clerk, session, products):
    resp = add(as_clerk, products[0].id)
    assert resp.status_code == 200 and 'id="voucher-panel"' in text(resp) and "HX-Reswap" not in resp.headers


def test_a_new_line_is_appended_with_the_total_not_the_panel(as_clerk, session):
    first, *others = in_stock(session, 25)
    assert len(others) >= 10
    add(as_clerk, first.id)
    sizes = []
    for product in others:
        resp = add(as_clerk, product.id)
        body = text(resp)
        assert resp.status_code == 200 and resp.headers["HX-Reswap"] == "none"
        assert 'id="voucher-panel"' not in body and 'id="suggestions"' not in body
        assert body.count('data-testid="line"') == 1 and product.name in body
        assert 'hx-swap-oob="beforeend:#vp-lines"' in body
        assert '<div id="vp-error" hx-swap-oob="true"></div>' in body  # an old message goes
        total = the_draft(session).total
        assert re.search(r'id="vp-total"[^>]*hx-swap-oob="true"', body) and format_money(total) in body
        sizes.append(len(body) - len(product.name.encode()) * 3)
    assert len(the_draft(session).lines) == len(others) + 1
    assert max(sizes) - min(sizes) < 200  # the answer does not grow with the voucher


def test_one_more_of_a_line_shows_that_line_again(as_clerk, session):
    a, b, c = in_stock(session, 3)
    for p in (a, b, c):
        add(as_clerk, p.id)
    resp = add(as_clerk, b.id)
    body = text(resp)
    line = next(x for x in the_draft(session).lines if x.product_id == b.id)
    assert line.quantity == Decimal("2")
    assert re.search(rf'id="line-{line.id}"[^>]*\n?[^>]*hx-swap-oob="true"', body) or \
        re.search(rf'<form[^>]*id="line-{line.id}"[^>]*hx-swap-oob="true"', body, re.S)
    assert "beforeend" not in body and body.count('data-testid="line"') == 1 and 'value="2"' in body


def test_a_line_short_of_stock_warns_and_brings_in_stock_alternatives(as_clerk, session):
    a, b = in_stock(session, 2)
    add(as_clerk, a.id)
    add(as_clerk, b.id)
    short = session.scalar(select(Product).where(Product.stock_on_hand <= 0, Product.active.is_(True))
                           .order_by(Product.id))
    resp = add(as_clerk, short.id)
    body = text(resp)
    assert resp.status_code == 200 and 'id="voucher-panel"' not in body
    assert 'data-testid="short"' in body and "缺" in body
    assert 'id="suggestions" class="suggestions " hx-swap-oob="true"' in body
    alternatives = re.findall(r'name="product_id" value="(\d+)"', body.split('id="suggestions"', 1)[1])
    assert alternatives and all(session.get(Product, int(i)).stock_on_hand > 0 for i in alternatives)
    # another of the same product at another price: both of its lines say how many are missing
    line = next(x for x in the_draft(session).lines if x.product_id == short.id)
    resp = as_clerk.post("/counter/lines", data={"product_id": short.id, "quantity": "1",
                                                 "unit_price": str(short.list_price - Decimal("1"))}, headers=HX)
    body = text(resp)
    assert resp.status_code == 200 and body.count('data-testid="line"') == 2 and body.count('data-testid="short"') == 2
    assert f'id="line-{line.id}"' in body


def test_a_product_with_accessories_brings_them_in(as_clerk, session):
    a, b = in_stock(session, 2)
    add(as_clerk, a.id)
    add(as_clerk, b.id)
    relation = session.scalar(select(ProductRelation).join(Product, Product.id == ProductRelation.related_id)
                              .where(ProductRelation.kind == "accessory", Product.active.is_(True))
                              .order_by(ProductRelation.id))
    main = session.get(Product, relation.product_id)
    body = text(add(as_clerk, main.id))
    accessories = session.scalars(select(ProductRelation).where(ProductRelation.product_id == main.id,
                                                                ProductRelation.kind == "accessory"))
    assert 'id="suggestions"' in body and 'id="voucher-panel"' not in body
    assert any(r.related.name in body.split('id="suggestions"', 1)[1] for r in accessories)


def test_a_product_whose_accessories_are_on_the_voucher_already_leaves_the_suggestions(as_clerk, session):
    """Its accessories would not be offered (they are on the voucher): the suggestions stay as they are,
    and the check reads no product (catalog.has_accessories, a row id with LIMIT 1)."""
    relation = session.scalar(select(ProductRelation).join(Product, Product.id == ProductRelation.related_id)
                              .where(ProductRelation.kind == "accessory", Product.active.is_(True))
                              .order_by(ProductRelation.id))
    main = session.get(Product, relation.product_id)
    assert main.stock_on_hand > 2
    related = [r.related for r in session.scalars(select(ProductRelation).where(
        ProductRelation.product_id == main.id, ProductRelation.kind == "accessory"))]
    for product in [p for p in related if p.active]:
        assert add(as_clerk, product.id).status_code == 200
    with statements() as seen:
        body = text(add(as_clerk, main.id))
    assert main.name in body and 'id="suggestions"' not in body and 'id="voucher-panel"' not in body
    assert not [sql for sql, _params in seen if "selling_points" in sql]  # no product read whole


def test_approve_and_add_clears_the_waiting_price(as_clerk, session):
    a, b = in_stock(session, 2)
    add(as_clerk, a.id)
    price = str((b.list_price * Decimal("0.7")).quantize(Decimal("0.01")))
    resp = add(as_clerk, b.id, unit_price=price)
    assert resp.status_code == 422 and 'id="vp-pending"' in text(resp)
    assert 'name="pending_product_id"' in text(resp) and 'form="write-up-form"' in text(resp)
    manager = staff_by_no(MANAGER)
    resp = add(as_clerk, b.id, unit_price=price, manager_id=manager.id, manager_pin="9001")
    body = text(resp)
    assert resp.status_code == 200 and '<div id="vp-pending" hx-swap-oob="true"></div>' in body
    assert "王建国 批准" in body
    v = the_draft(session)
    shown = {"line_id": [str(x.id) for x in v.lines], "quantity": [str(x.quantity) for x in v.lines],
             "unit_price": [str(x.unit_price) for x in v.lines]}
    resp = as_clerk.post("/counter/write-up", data=shown, headers=HX)
    assert resp.status_code == 200 and "HX-Redirect" in resp.headers


def test_without_htmx_adding_goes_back_to_the_counter(as_clerk, session):
    a, b = in_stock(session, 2)
    add(as_clerk, a.id)
    resp = as_clerk.post("/counter/lines", data={"product_id": b.id, "quantity": "1"})
    assert resp.status_code in (302, 303) and resp.headers["Location"].endswith("/counter")


def test_a_scan_answers_only_the_line_too(as_clerk, session):
    a, b = in_stock(session, 2)
    add(as_clerk, a.id)
    resp = as_clerk.post("/counter/scan", data={"q": b.barcode}, headers=HX)
    assert resp.status_code == 200 and 'id="voucher-panel"' not in text(resp) and b.name in text(resp)


def test_adding_asks_what_it_does_not_already_know_once(as_clerk, session):
    """Under the voucher's row lock the line ids read for the answer also give the count, the last
    position and the products on it: a product new to the voucher is added without asking for a line
    to add to, for the count, or for its other lines; one more of a product on it still finds its line."""
    from tests.helpers import statements

    a, b, c = in_stock(session, 3)
    add(as_clerk, a.id)
    add(as_clerk, b.id)
    with statements() as sent:
        resp = add(as_clerk, c.id)
    assert resp.status_code == 200 and c.name in text(resp)
    # the ids, products and positions of its lines (three columns); no line read whole, no count
    assert len([sql for sql, _p in sent if sql.lstrip().startswith("SELECT voucher_line.id, voucher_line.product_id, "
                                                                 "voucher_line.position")]) == 1
    assert not [sql for sql, _p in sent if sql.lstrip().startswith("SELECT voucher_line.id, voucher_line.voucher_id")]
    assert not [sql for sql, _p in sent if "max(voucher_line.position)" in sql]
    draft = the_draft(session)
    assert [(x.position, x.product_id) for x in draft.lines] == [(1, a.id), (2, b.id), (3, c.id)]
    with statements() as sent:
        add(as_clerk, b.id)  # one more of b: its line is asked for, and so are b's lines for the answer
    whole = [sql for sql, _p in sent if sql.lstrip().startswith("SELECT voucher_line.id, voucher_line.voucher_id")]
    assert len(whole) == 2, whole
    draft = the_draft(session)
    assert [(x.position, x.product_id, x.quantity) for x in draft.lines] == [
        (1, a.id, Decimal("1")), (2, b.id, Decimal("2")), (3, c.id, Decimal("1"))]
    assert draft.total == a.list_price + 2 * b.list_price + c.list_price


def test_the_answer_trusts_the_lines_it_read_only_under_the_vouchers_lock(session, app):
    """A product new to the voucher is answered as its only line when the lines were read under the
    voucher's row lock; a voucher read without it (the tablet had no draft in its session: the latest
    is found, unlocked) has its product's lines read again — another tablet may have added one."""
    from pos.sales import services

    clerk = staff_by_no(CLERK)
    a, b = in_stock(session, 2)
    v = services.open_draft(session, clerk)
    services.add_line(session, v, a.id, "1", actor=clerk)
    session.commit()
    found = services.find_draft(session, clerk)  # the latest draft, read without its lock
    services.line_ids(session, found)
    assert not services.lines_read_under_lock(session, found)
    session.rollback()
    held = services.find_draft(session, clerk, voucher_id=v.id, lock=True)
    n, _ids, products = services.line_ids(session, held)
    assert (n, products) == (1, {a.id}) and services.lines_read_under_lock(session, held)
    services.add_line(session, held, b.id, "1", actor=clerk)
    assert services.lines_read_under_lock(session, held)  # still this transaction's own reading
    session.commit()
    assert [(x.position, x.product_id) for x in the_draft(session).lines] == [(1, a.id), (2, b.id)]
