from .accounts import Role, RoleAssignment, User
from .audit import AccessLog
from .calendar import CalendarException
from .jobs import Job
from .org import (
    Area,
    EducationOffice,
    Grade,
    LeadershipGroup,
    LeadershipMember,
    School,
    SchoolClass,
    SchoolYear,
    SubDistrict,
    Term,
    Village,
)

__all__ = [
    "AccessLog",
    "Area",
    "CalendarException",
    "EducationOffice",
    "Grade",
    "Job",
    "LeadershipGroup",
    "LeadershipMember",
    "Role",
    "RoleAssignment",
    "School",
    "SchoolClass",
    "SchoolYear",
    "SubDistrict",
    "Term",
    "User",
    "Village",
]
