"""The manager's set-up screen: a project, a generated building, a price list — bad input 422, nothing saved."""

from sqlalchemy import select

from pos.property.models import Building, PriceList, Project, Unit
from tests.conftest import login_as
from tests.helpers import row_counts, text

STACKS = "三室两厅两卫,南北,128.56,101.23,28600\n两室两厅一卫，南，89.40，70.52，29200"


def test_manager_creates_a_project_generates_a_building_and_publishes_prices(client, session):
    login_as(client, "M001")
    assert client.get("/property/setup").status_code == 200
    resp = client.post("/property/setup/projects", data={
        "name": "滨江壹号", "developer": "某置业", "presale_permit_no": "预字001", "presale_permit_date": "2026-10-01",
        "escrow_account_no": "6222 0000 1111", "hold_hours": "48", "agent_discount_pct": "3"})
    assert resp.status_code == 200, text(resp)
    project = session.scalar(select(Project).where(Project.name == "滨江壹号"))
    assert project.hold_hours == 48 and project.escrow_account_no == "622200001111"
    resp = client.post(f"/property/setup/projects/{project.id}/buildings", data={
        "name": "A栋", "floors": "10", "stacks": STACKS, "floor_premium": "100"})
    assert resp.status_code == 200, text(resp)
    building = session.scalar(select(Building).where(Building.project_id == project.id))
    units = list(session.scalars(select(Unit).where(Unit.building_id == building.id)))
    assert len(units) == 20 and {u.number for u in units} >= {"101", "1002"}
    resp = client.post(f"/property/setup/buildings/{building.id}/price-list",
                       data={"effective_on": "2099-01-01", "floor_pct": "5"})
    assert resp.status_code == 200
    assert session.scalar(select(PriceList).where(PriceList.building_id == building.id)).version_no == 1


def test_bad_set_up_input_is_refused_with_nothing_saved(client, session):
    login_as(client, "M001")
    project = session.scalar(select(Project))
    before = row_counts(session)
    for url, data in (
        ("/property/setup/projects", {"name": "X", "presale_permit_no": "P1"}),  # permit without its date
        ("/property/setup/projects", {"name": project.name}),  # a second project of that name
        (f"/property/setup/projects/{project.id}/buildings", {"name": "B", "floors": "5",
                                                               "stacks": "两室,南,80,90,20000"}),  # inner > gross
        (f"/property/setup/projects/{project.id}/buildings", {"name": "B", "floors": "5", "stacks": "两室,南"}),
        (f"/property/setup/projects/{project.id}/buildings", {"name": "B", "floors": "0", "stacks": STACKS}),
        (f"/property/setup/buildings/{project.buildings[0].id}/price-list", {"effective_on": "2000-01-01",
                                                                             "floor_pct": "5"}),
    ):
        resp = client.post(url, data=data)
        assert resp.status_code == 422, (url, data, resp.status_code)
    assert row_counts(session) == before
    login_as(client, "C001")
    assert client.post("/property/setup/projects", data={"name": "Y"}).status_code == 403
