"""Fixtures for the sales office: the demo project (翠湖湾花园) and its buildings."""

import pytest
from sqlalchemy import select

from pos.property.models import Building, Project, Unit
from tests.conftest import staff_by_no


@pytest.fixture
def project(session):
    return session.scalar(select(Project).where(Project.name == "翠湖湾花园"))


@pytest.fixture
def b1(session, project):
    return session.scalar(select(Building).where(Building.project_id == project.id, Building.name == "1号楼"))


@pytest.fixture
def b2(session, project):
    return session.scalar(select(Building).where(Building.project_id == project.id, Building.name == "2号楼"))


@pytest.fixture
def unit_no(session):
    def find(building, number):
        return session.scalar(select(Unit).where(Unit.building_id == building.id, Unit.number == number))

    return find


@pytest.fixture
def manager(app):
    return staff_by_no("M001")


@pytest.fixture
def agent(app):
    return staff_by_no("C001")


@pytest.fixture
def agent2(app):
    return staff_by_no("C002")
