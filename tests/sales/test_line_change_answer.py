"""Changing a line's quantity or price, or taking it off, answers only what changed (issue 19), as
adding a product does: the lines of that product (the removed one deleted by its id), the total,
and the suggestions only when they change. The proof: a random sequence of adds, changes and
removals, each answer applied to the page the way htmx 2 applies it (swapped by id out-of-band;
"delete" takes a row off), leaves the voucher panel and the suggestions exactly as a fresh render
of the counter shows them."""

import random
import re
from decimal import Decimal
from html.parser import HTMLParser

from sqlalchemy import select

from pos.catalog.models import Product, ProductRelation
from pos.sales.models import Voucher
from tests.conftest import CLERK, staff_by_no
from tests.helpers import text

HX = {"HX-Request": "true"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# ------------------------------------------------------------------ a page, and htmx's swaps on it
class Node:
    def __init__(self, tag, attrs=(), parent=None):
        self.tag, self.attrs, self.children, self.parent = tag, dict(attrs), [], parent

    def html(self) -> str:
        """The element, whitespace between and around texts normalised, hx-swap-oob left out."""
        attrs = "".join(f' {k}="{v}"' for k, v in self.attrs.items() if k != "hx-swap-oob")
        inner = "".join(c.html() if isinstance(c, Node) else " ".join(c.split()) for c in self.children)
        return f"<{self.tag}{attrs}>{inner}</{self.tag}>"

    def find(self, element_id):
        for child in self.children:
            if isinstance(child, Node):
                if child.attrs.get("id") == element_id:
                    return child
                found = child.find(element_id)
                if found is not None:
                    return found
        return None

    def replace_with(self, new):
        siblings = self.parent.children
        siblings[siblings.index(self)] = new
        new.parent = self.parent


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.root = self.at = Node("#root")

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Node(tag, attrs, self.at))

    def handle_endtag(self, tag):
        node = self.at
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.at = node.parent

    def handle_data(self, data):
        if data.strip():
            self.at.children.append(data)

    def handle_entityref(self, name):
        self.handle_data(f"&{name};")

    def handle_charref(self, name):
        self.handle_data(f"&#{name};")


def parse(html: str) -> Node:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.root


def apply(page: Node, resp) -> None:
    """What htmx 2 does with an answer to a form of the panel (target #voucher-panel, outerHTML):
    the out-of-band elements by their ids (true: the element; beforeend:#x: its children at the end
    of #x; delete: the element goes), then the rest in place of the panel unless HX-Reswap is none."""
    answer = parse(text(resp))
    rest = []
    for node in answer.children:
        oob = node.attrs.get("hx-swap-oob") if isinstance(node, Node) else None
        if oob is None:
            rest.append(node)
            continue
        style, _, selector = oob.partition(":")
        target = page.find(selector.lstrip("#") if selector else node.attrs["id"])
        assert target is not None, f"nothing to swap {oob} into: {node.html()[:200]}"
        if style == "true":
            target.replace_with(node)
        elif style == "beforeend":
            for child in node.children:
                target.children.append(child)
                if isinstance(child, Node):
                    child.parent = target
        elif style == "delete":
            target.parent.children.remove(target)
        else:
            raise AssertionError(f"a swap this helper does not know: {oob}")
    if resp.headers.get("HX-Reswap") != "none":
        panel = [n for n in rest if isinstance(n, Node)]
        assert len(panel) == 1 and panel[0].attrs.get("id") == "voucher-panel", [n.html()[:80] for n in panel]
        page.find("voucher-panel").replace_with(panel[0])


def shown(page: Node) -> tuple[str, str]:
    return page.find("voucher-panel").html(), page.find("suggestions").html()


# ------------------------------------------------------------------ the counter
def the_draft(session):
    session.expire_all()
    return session.scalar(select(Voucher).where(Voucher.clerk_id == staff_by_no(CLERK).id, Voucher.status == "draft")
                          .order_by(Voucher.id.desc()))


def pool(session) -> list[Product]:
    """Products whose lines go short of stock and back (1–3 on hand), out of stock ones, ones with
    accessories and linked alternatives, and plenty in stock."""
    active = select(Product).where(Product.active.is_(True)).order_by(Product.id)
    few = list(session.scalars(active.where(Product.stock_on_hand > 0, Product.stock_on_hand <= 3,
                                            Product.whole_units_only.is_(True)).limit(4)))
    none = list(session.scalars(active.where(Product.stock_on_hand <= 0).limit(3)))
    related = list(session.scalars(active.where(Product.id.in_(select(ProductRelation.product_id))).limit(4)))
    plenty = list(session.scalars(active.where(Product.stock_on_hand > 20, Product.whole_units_only.is_(True))
                                  .limit(4)))
    products = list({p.id: p for p in [*few, *none, *related, *plenty]}.values())
    assert few and none and related and plenty
    return products


def test_answers_applied_to_the_page_give_what_a_fresh_render_shows(as_clerk, session):
    rng = random.Random(19)
    products = pool(session)
    page = parse(text(as_clerk.get("/counter")))
    kinds = {"add": 0, "quantity": 0, "price": 0, "remove": 0, "whole panel": 0, "suggestions": 0}
    for step in range(70):
        lines = the_draft(session).lines if the_draft(session) else []
        op = rng.choice(["add", "add", "quantity", "quantity", "price", "remove"] if lines else ["add"])
        if step == 30:
            op = "customer"
        if op == "add":
            resp = as_clerk.post("/counter/lines", data={"product_id": rng.choice(products).id, "quantity": "1"},
                                 headers=HX)
        elif op == "customer":
            resp = as_clerk.post("/counter/customer", data={"phone": "13900000000", "name": "钱七"}, headers=HX)
        else:
            line = rng.choice(lines)
            if op == "remove":
                resp = as_clerk.post(f"/counter/lines/{line.id}/remove", headers=HX)
            else:
                quantity = str(rng.randint(1, 4)) if op == "quantity" else str(line.quantity)
                price = line.unit_price if op == "quantity" else \
                    (line.list_price * Decimal("0.99")).quantize(Decimal("0.01"))
                resp = as_clerk.post(f"/counter/lines/{line.id}", data={"quantity": quantity, "unit_price": price},
                                     headers=HX)
            if len(lines) > 1 or op != "remove":  # not the last line: not the whole panel
                assert resp.headers.get("HX-Reswap") == "none" and 'id="voucher-panel"' not in text(resp), op
        assert resp.status_code == 200, (op, text(resp)[:500])
        kind = op if op == "add" or resp.headers.get("HX-Reswap") == "none" else "whole panel"
        kinds[kind] = kinds.get(kind, 0) + 1
        if op in ("quantity", "price", "remove") and 'id="suggestions"' in text(resp):
            kinds["suggestions"] += 1
        apply(page, resp)
        fresh = parse(text(as_clerk.get("/counter")))
        assert shown(page) == shown(fresh), (step, op)
    assert all(kinds.values()), kinds  # each kind of answer was met (a change that brought suggestions too)


def test_a_change_answers_only_the_lines_of_its_product(as_clerk, session):
    plenty = list(session.scalars(select(Product).where(Product.active.is_(True), Product.stock_on_hand > 20,
                                                        Product.whole_units_only.is_(True)).order_by(Product.id)
                                  .limit(12)))
    for p in plenty:
        as_clerk.post("/counter/lines", data={"product_id": p.id, "quantity": "1"}, headers=HX)
    lines = the_draft(session).lines
    resp = as_clerk.post(f"/counter/lines/{lines[3].id}", data={"quantity": "3", "unit_price": lines[3].unit_price},
                         headers=HX)
    body = text(resp)
    assert resp.status_code == 200 and resp.headers["HX-Reswap"] == "none"
    assert body.count('data-testid="line"') == 1 and f'id="line-{lines[3].id}"' in body and 'value="3"' in body
    assert 'id="suggestions"' not in body and 'id="voucher-panel"' not in body
    voucher = the_draft(session)
    assert re.search(r'id="vp-total"[^>]*hx-swap-oob="true"', body)
    assert voucher.total == sum(x.amount for x in voucher.lines)
    resp = as_clerk.post(f"/counter/lines/{lines[5].id}/remove", headers=HX)
    body = text(resp)
    assert f'<div id="line-{lines[5].id}" hx-swap-oob="delete"></div>' in body
    assert body.count('data-testid="line"') == 0 and 'id="voucher-panel"' not in body
    voucher = the_draft(session)
    assert [x.position for x in voucher.lines] == list(range(1, 12))  # numbered again, as printed
    assert voucher.total == sum(x.amount for x in voucher.lines)


def test_without_htmx_a_change_goes_back_to_the_counter(as_clerk, session, products):
    as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"})
    line = the_draft(session).lines[0]
    resp = as_clerk.post(f"/counter/lines/{line.id}", data={"quantity": "2", "unit_price": line.unit_price})
    assert resp.status_code in (302, 303) and resp.headers["Location"].endswith("/counter")
    resp = as_clerk.post(f"/counter/lines/{line.id}/remove")
    assert resp.status_code in (302, 303) and the_draft(session).lines == []


def _suggested_ids(body: str) -> list[int]:
    if 'id="suggestions"' not in body:
        return []
    return [int(i) for i in re.findall(r'name="product_id" value="(\d+)"', body.split('id="suggestions"', 1)[1])]


def test_adding_a_suggested_product_takes_it_off_the_suggestions(as_clerk, session):
    """A card's "+" in "In stock instead" or "Goes well with": the product goes on the voucher and
    off the suggestions (it has no accessories of its own and there is no customer: before, the
    answer left the suggestions as they were, and the card stayed)."""
    accessories_of = select(ProductRelation.product_id).where(ProductRelation.kind == "accessory")
    plain = select(Product).where(Product.active.is_(True), Product.id.not_in(accessories_of)).order_by(Product.id)
    page = parse(text(as_clerk.get("/counter")))
    apply(page, as_clerk.post("/counter/lines", data={"product_id": session.scalar(
        plain.where(Product.stock_on_hand > 20)).id, "quantity": "1"}, headers=HX))
    offered = []
    for short in session.scalars(plain.where(Product.stock_on_hand <= 0)):  # one whose alternatives are plain
        resp = as_clerk.post("/counter/lines", data={"product_id": short.id, "quantity": "1"}, headers=HX)
        apply(page, resp)
        plain_ids = set(session.scalars(plain.with_only_columns(Product.id)))
        offered = [i for i in _suggested_ids(text(resp)) if i in plain_ids]
        if offered:
            break
    assert offered
    resp = as_clerk.post("/counter/lines", data={"product_id": offered[0], "quantity": "1"}, headers=HX)
    assert resp.headers["HX-Reswap"] == "none" and offered[0] not in _suggested_ids(text(resp))
    apply(page, resp)
    assert shown(page) == shown(parse(text(as_clerk.get("/counter"))))
    # an accessory of a product on the voucher, tapped on its card
    relation = session.scalar(select(ProductRelation).join(Product, Product.id == ProductRelation.related_id)
                              .where(ProductRelation.kind == "accessory", Product.active.is_(True),
                                     Product.id.not_in(accessories_of),
                                     Product.id.not_in([x.product_id for x in the_draft(session).lines]))
                              .order_by(ProductRelation.id))
    apply(page, as_clerk.post("/counter/lines", data={"product_id": relation.product_id, "quantity": "1"},
                              headers=HX))
    assert relation.related_id in _suggested_ids(text(as_clerk.get("/counter")).split('id="voucher-panel"')[0])
    resp = as_clerk.post("/counter/lines", data={"product_id": relation.related_id, "quantity": "1"}, headers=HX)
    apply(page, resp)
    assert shown(page) == shown(parse(text(as_clerk.get("/counter"))))
