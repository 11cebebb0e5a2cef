"""Pickup and delivery screens over HTTP: refusals with the reason, partial pickup,
delivery request with bad input, the driver's actions, roles, the slip PDF."""

import pytest
from sqlalchemy import func, select

from pos.delivery.models import DispatchSlip
from pos.sales.models import Pickup
from tests.conftest import CLERK, DRIVER, login_as
from tests.helpers import text


def test_pickup_screen_refuses_unpaid_with_the_reason(client, write_up):
    v = write_up()
    login_as(client, CLERK)
    body = text(client.get(f"/pickup?no={v.no}"))
    assert "未付款" in body and "请先请顾客到收银台付款" in body
    resp = client.post(f"/pickup/{v.no}", data={"once_key": "p1", f"qty_{v.lines[0].id}": "1", "shop_copy": "1"})
    assert resp.status_code == 422 and "未付款" in text(resp)
    assert client.get("/pickup?no=V19990101-0001").status_code == 404


def test_partial_pickup_over_http(client, session, paid):
    v = paid("100.00", qty="2")
    login_as(client, CLERK)
    line = v.lines[0].id
    resp = client.post(f"/pickup/{v.no}", data={"once_key": "p1", f"qty_{line}": "1"})
    assert resp.status_code == 422 and "店留联" in text(resp)
    resp = client.post(f"/pickup/{v.no}", data={"once_key": "p1", f"qty_{line}": "1", "shop_copy": "1"})
    assert resp.status_code == 303
    body = text(client.get(f"/pickup?no={v.no}"))
    assert "部分交付" in body
    resp = client.post(f"/pickup/{v.no}", data={"once_key": "p2", f"qty_{line}": "5", "shop_copy": "1"})
    assert resp.status_code == 422 and "还剩 1 未交付" in text(resp)
    assert session.scalar(select(func.count(Pickup.id))) == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"phone": ""}, "不是有效的电话号码"), ({"address": "上海"}, "完整送货地址"), ({"name": ""}, "请输入顾客姓名"),
    ({"window_day": "2000-01-01"}, "不能早于今天"), ({"window_day": "明天"}, "不是日期"),
])
def test_delivery_request_bad_input(client, session, paid, change, message):
    v = paid()
    login_as(client, CLERK)
    data = {"once_key": "d1", f"qty_{v.lines[0].id}": "1", "name": "周先生", "phone": "13800138001",
            "address": "上海市浦东新区张杨路500号3号楼1201室", **change}
    resp = client.post(f"/delivery/request/{v.no}", data=data)
    assert resp.status_code == 422 and message in text(resp)
    assert session.scalar(select(func.count(DispatchSlip.id))) == 0


def test_delivery_flow_over_http(client, session, paid, tmp_path):
    v = paid()
    login_as(client, CLERK)
    resp = client.post(f"/delivery/request/{v.no}", data={"once_key": "d1", f"qty_{v.lines[0].id}": "1",
                                                          "name": "周先生", "phone": "13800138001",
                                                          "address": "上海市浦东新区张杨路500号3号楼1201室"})
    assert resp.status_code == 303
    slip = session.scalar(select(DispatchSlip))
    login_as(client, DRIVER)
    assert slip.no in text(client.get("/delivery"))
    assert client.post(f"/delivery/slips/{slip.id}/out").status_code == 403  # not pulled yet
    assert client.post(f"/delivery/slips/{slip.id}/pull").status_code == 303
    resp = client.post(f"/delivery/slips/{slip.id}/delivered", data={"received_by": "周先生"})
    assert resp.status_code == 422 and "请先标记出发" in text(resp)
    assert client.post(f"/delivery/slips/{slip.id}/out").status_code == 303
    assert client.post(f"/delivery/slips/{slip.id}/delivered", data={"received_by": "周先生"}).status_code == 303
    body = text(client.get(f"/delivery/slips/{slip.id}"))
    assert "已送达" in body and "tel:13800138001" in body
    pdf = client.get(f"/delivery/slips/{slip.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_roles(client, paid, session):
    login_as(client, CLERK)
    assert client.get("/delivery").status_code == 403
    login_as(client, DRIVER)
    assert client.get("/pickup").status_code == 403
    assert client.get("/delivery/manage").status_code == 403


def test_pickup_and_delivery_show_on_the_voucher(client, session, paid):
    v = paid("100.00", qty="2")
    login_as(client, CLERK)
    line = v.lines[0].id
    client.post(f"/pickup/{v.no}", data={"once_key": "p1", f"qty_{line}": "1", "shop_copy": "1"})
    client.post(f"/delivery/request/{v.no}", data={"once_key": "d1", f"qty_{line}": "1", "name": "周先生",
                                                   "phone": "13800138001",
                                                   "address": "上海市浦东新区张杨路500号3号楼1201室"})
    body = text(client.get(f"/vouchers/{v.no}"))
    slip = session.scalar(select(DispatchSlip))
    assert "交付" in body and "转送货" in body and slip.no in body and "生成送货单" in body
