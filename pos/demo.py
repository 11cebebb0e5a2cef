"""Demo data for a showroom: staff for every role, a catalogue of 200+ products
with pictures, and a few customers. Idempotent: running it again adds only what
is missing. Later features extend it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from .catalog.models import Brand, Category, Product, ProductPicture
from .catalog.services import index_product
from .customers.models import Customer
from .shop.models import Showroom
from .staff import services as staff_services
from .staff.models import Staff


@dataclass(frozen=True)
class DemoPerson:
    staff_no: str
    full_name: str
    roles: tuple[str, ...]
    pin: str
    password: str | None = None


DEMO_STAFF = (
    DemoPerson("M001", "王建国", ("manager",), "9001", "manager-demo"),
    DemoPerson("C001", "李晓梅", ("clerk",), "1001"),
    DemoPerson("C002", "张伟", ("clerk",), "1002"),
    DemoPerson("S001", "陈静", ("cashier",), "2001"),
    DemoPerson("S002", "赵敏", ("cashier", "clerk"), "2002"),
    DemoPerson("D001", "刘强", ("delivery",), "3001"),
)

BRANDS = ("海尔", "美的", "格力", "方太", "老板", "西门子", "松下", "小米", "苏泊尔", "九阳", "TCL", "海信")

# category: (unit, model prefix, [(name, spec, base price yuan)], colours, selling points)
CATALOGUE = {
    "冰箱": ("台", "BCD", [("对开门冰箱", "540升 一级能效 风冷无霜", 4999),
                          ("三门冰箱", "253升 变频", 2599),
                          ("十字门冰箱", "470升 干湿分储", 5899)], ("星空灰", "冰川白", "香槟金"),
           "变频压缩机，静音省电；风冷无霜，免除霜；母婴专区，分区保鲜"),
    "洗衣机": ("台", "XQG", [("滚筒洗衣机", "10公斤 洗烘一体", 3299), ("波轮洗衣机", "8公斤 直驱变频", 1699)],
             ("月光白", "钛晶灰"), "直驱电机十年质保；高温除菌除螨；智能投放洗涤剂"),
    "空调": ("套", "KFR", [("壁挂式空调", "1.5匹 新一级能效", 2899), ("立柜式空调", "3匹 新一级能效", 6999)],
           ("白色",), "新一级能效，一晚约一度电；自清洁；急速冷暖"),
    "油烟机": ("台", "CXW", [("侧吸式油烟机", "23立方米/分钟 大吸力", 3599),
                           ("顶吸式油烟机", "20立方米/分钟", 2799)],
            ("黑色", "银色"), "大吸力不跑烟；挥手智控；一键自清洗"),
    "燃气灶": ("台", "JZT", [("嵌入式燃气灶", "5.2kW 天然气 熄火保护", 1299)], ("黑色",),
            "猛火爆炒；熄火保护；钢化玻璃面板易清洁"),
    "电饭煲": ("个", "FB", [("IH电饭煲", "4升 IH加热", 599), ("智能电饭煲", "3升 球釜内胆", 299)],
            ("白色", "红色"), "IH立体加热米饭更香；24小时预约；不粘内胆"),
    "电视": ("台", "TV", [("液晶电视", "65英寸 4K 120Hz", 3999), ("液晶电视", "75英寸 4K MiniLED", 6499)],
           ("黑色",), "4K超高清；120Hz高刷不拖影；远场语音"),
    "净水器": ("台", "RO", [("反渗透净水器", "800G 厨下式", 2199)], ("白色",),
             "RO反渗透，直饮更安心；大通量；滤芯寿命提醒"),
}
ACCESSORIES = (
    ("冰箱除味剂", "活性炭 2盒装", 39, "盒"), ("洗衣机底座", "可移动加高", 129, "个"),
    ("空调遥控器", "原装", 69, "个"), ("油烟机清洗剂", "500毫升", 29, "瓶"),
    ("电源延长线", "3米 防过载", 59, "根"), ("电视挂架", "55-85英寸通用", 199, "个"),
    ("净水器滤芯", "PP棉 一年装", 299, "套"),
)

COLOUR_HEX = {
    "星空灰": "#5f6b7a", "冰川白": "#e8eef3", "香槟金": "#d8c08e", "月光白": "#f2f2ee", "钛晶灰": "#7d848c",
    "白色": "#f5f5f5", "黑色": "#2b2b2b", "银色": "#c0c4c8", "红色": "#c8362d", "": "#dfe4ea",
}

DEMO_CUSTOMERS = (
    ("周先生", "13800138001", "上海市浦东新区张杨路500号3号楼1201室"),
    ("吴女士", "13900139002", "上海市徐汇区漕溪北路88号6楼"),
    ("郑先生", "13700137003", "上海市闵行区七莘路1888弄12号"),
    ("孙女士", "13600136004", ""),
)


def _digits(seed: str, n: int) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    return "".join(str(int(c, 16) % 10) for c in h)[:n]


def ean13(twelve: str) -> str:
    """Append the EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return twelve + str((10 - total % 10) % 10)


def _picture(media_dir: Path, rel: str, title: str, subtitle: str, colour: str) -> None:
    path = media_dir / rel
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fill = COLOUR_HEX.get(colour, "#dfe4ea")
    ink = "#ffffff" if fill in ("#2b2b2b", "#5f6b7a", "#7d848c", "#c8362d") else "#1f2328"
    path.write_text(
        f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" width="400" height="300">
<rect width="400" height="300" fill="#f4f6f8"/>
<rect x="60" y="30" width="280" height="200" rx="18" fill="{fill}" stroke="#9aa4af" stroke-width="3"/>
<text x="200" y="120" text-anchor="middle" font-size="30" fill="{ink}"
 font-family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif">{title}</text>
<text x="200" y="165" text-anchor="middle" font-size="20" fill="{ink}"
 font-family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif">{colour}</text>
<text x="200" y="275" text-anchor="middle" font-size="20" fill="#1f2328"
 font-family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif">{subtitle}</text>
</svg>
""",
        encoding="utf-8",
    )


#: demo products handed over with each piece's serial number, and their warranty months (序列号与保修)
SERIAL_DEMO = {"对开门冰箱": 36, "滚筒洗衣机": 24}


def _demo_serials(session: Session) -> None:
    """``pos demo`` (``make run``): these products are handed over with their serial numbers. The
    test suites' demo database leaves them off (their pickups pick any product in stock); a test of
    serials sets a product up itself. Idempotent; a database loaded before serials gets them too."""
    for name, months in SERIAL_DEMO.items():
        for product in session.scalars(select(Product).where(Product.name.like(f"%{name}"),
                                                             Product.requires_serial.is_(False))):
            product.requires_serial = True
            product.warranty_months = months


def load_demo(session: Session, *, media_dir: Path | None = None, serials: bool = False) -> dict:
    """Add whatever demo data is missing; returns counts of what was added."""
    media_dir = Path(media_dir or current_app.config["POS_MEDIA_DIR"])
    added = {"showroom": 0, "staff": 0, "products": 0, "customers": 0}

    if session.scalar(select(Showroom).where(Showroom.code == "SH01")) is None:
        session.add(Showroom(code="SH01", name="锦华家居电器展厅", address="上海市浦东新区世纪大道100号一层",
                             phone="021-58886666", tax_no="91310115MA1K4XXXX0"))
        added["showroom"] = 1

    for person in DEMO_STAFF:
        if staff_services.by_number(session, person.staff_no) is None:
            staff_services.create_staff(
                session, staff_no=person.staff_no, full_name=person.full_name, roles=person.roles,
                pin=person.pin, password=person.password, actor=None,
            )
            added["staff"] += 1

    brands = {b.name: b for b in session.scalars(select(Brand))}
    for name in BRANDS:
        if name not in brands:
            brands[name] = Brand(name=name)
            session.add(brands[name])
    categories = {c.name: c for c in session.scalars(select(Category))}
    for name in (*CATALOGUE, "配件"):
        if name not in categories:
            categories[name] = Category(name=name)
            session.add(categories[name])
    session.flush()

    existing = set(session.scalars(select(Product.barcode)))
    rows = []
    for b_index, brand in enumerate(BRANDS):
        for c_index, (cat, (unit, prefix, items, colours, points)) in enumerate(CATALOGUE.items()):
            if (b_index + c_index) % 3 == 2:  # not every brand makes everything
                continue
            for i_index, (name, spec, base) in enumerate(items):
                model = f"{prefix}-{(b_index + 1) * 100 + c_index * 10 + i_index}{'ABCDEFGH'[b_index % 8]}"
                price = Decimal(base + (b_index * 37 + i_index * 11) % 9 * 100 - 1 + (b_index % 2) * 100)
                for colour in colours:
                    rows.append((brand, cat, name, model, spec, colour, unit, price, points))
        for a_index, (name, spec, base, unit) in enumerate(ACCESSORIES):
            if (a_index + b_index) % 2:
                continue
            model = f"PJ-{b_index + 1:02d}{a_index}"
            rows.append((brand, "配件", name, model, spec, "", unit, Decimal(base), "原厂配件，品质保证"))

    for brand, cat, name, model, spec, colour, unit, price, points in rows:
        barcode = ean13("69" + _digits(f"{brand}|{model}|{colour}", 10))
        if barcode in existing:
            continue
        existing.add(barcode)
        stock = Decimal(int(_digits(barcode, 2)) % 25)  # some out of stock
        product = Product(
            name=f"{brand}{name}", brand=brands[brand], category=categories[cat], model=model, spec=spec,
            colour=colour, family=f"{brand}|{model}", barcode=barcode, unit=unit, whole_units_only=True,
            list_price=price, vat_rate_bp=1300, stock_on_hand=stock, selling_points=points,
            functions=spec, active=True,
        )
        index_product(product, brand)
        rel = f"products/{barcode}.svg"
        _picture(media_dir, rel, f"{brand} {name}", model, colour)
        product.pictures.append(ProductPicture(path=rel, position=0))
        session.add(product)
        added["products"] += 1

    _demo_relations(session)
    if serials:
        _demo_serials(session)

    from .shop.models import Station

    for code, name in (("T1", "收银台 1"), ("T2", "收银台 2")):
        if session.scalar(select(Station).where(Station.code == code)) is None:
            session.add(Station(code=code, name=name))

    for name, phone, address in DEMO_CUSTOMERS:
        if session.scalar(select(Customer).where(Customer.phone == phone)) is None:
            session.add(Customer(name=name, phone=phone, address=address))
            added["customers"] += 1
    session.flush()

    from .property.demo import load_property_demo

    added["units"] = load_property_demo(session)
    return added


ACCESSORY_FOR = {
    "冰箱": ("冰箱除味剂", "电源延长线"), "洗衣机": ("洗衣机底座", "电源延长线"), "空调": ("空调遥控器",),
    "油烟机": ("油烟机清洗剂",), "电视": ("电视挂架", "电源延长线"), "净水器": ("净水器滤芯",),
}


def _demo_relations(session: Session) -> None:
    """Accessories to suggest with each appliance (建议购买), if none are set yet."""
    from .catalog.models import ProductRelation

    if session.scalar(select(ProductRelation.id).limit(1)) is not None:
        return
    session.flush()
    accessories: dict[str, list[Product]] = {}
    for p in session.scalars(select(Product).join(Category).where(Category.name == "配件")):
        for name in {n for names in ACCESSORY_FOR.values() for n in names}:
            if p.name.endswith(name):
                accessories.setdefault(name, []).append(p)
    for product in session.scalars(select(Product).join(Category).where(Category.name.in_(list(ACCESSORY_FOR)))):
        for name in ACCESSORY_FOR[product.category.name]:
            candidates = accessories.get(name, [])
            same_brand = [a for a in candidates if a.brand_id == product.brand_id]
            chosen = (same_brand or candidates)[:1]
            for acc in chosen:
                session.add(ProductRelation(product_id=product.id, related_id=acc.id, kind="accessory"))


def demo_logins(session: Session) -> list[tuple[Staff, DemoPerson]]:
    out = []
    for person in DEMO_STAFF:
        staff = staff_services.by_number(session, person.staff_no)
        if staff is not None:
            out.append((staff, person))
    return out
