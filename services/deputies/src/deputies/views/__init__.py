"""Read side: lists with filters and pages, single records, masking of restricted fields by role."""

from deputies.views.common import Page, reads_all, scope_condition
from deputies.views.deputies import (
    CONTACT,
    DeputyFilter,
    all_deputies,
    deputy_dict,
    deputy_history,
    deputy_view,
    get_deputy,
    list_deputies,
)
from deputies.views.places import (
    get_station,
    get_township,
    list_stations,
    list_townships,
    roster_verifications,
    station_names,
)
from deputies.views.work import get_activity, list_activities, list_highlights, list_manuscripts
from kit.db.ranges import within

__all__ = [
    "CONTACT",
    "DeputyFilter",
    "Page",
    "all_deputies",
    "deputy_dict",
    "deputy_history",
    "deputy_view",
    "get_activity",
    "get_deputy",
    "get_station",
    "get_township",
    "list_activities",
    "list_deputies",
    "list_highlights",
    "list_manuscripts",
    "list_stations",
    "list_townships",
    "reads_all",
    "roster_verifications",
    "scope_condition",
    "station_names",
    "within",
]
