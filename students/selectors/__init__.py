"""Reads of the registry. Every function takes the acting user; scope comes from kongchuo.access only."""
from .detail import (
    CareChain, care_chain, change_log, enrolments_of, family_of, flags_of, siblings_of, status_changes_of,
    student_for,
)
from .schools import (
    liaison_choices, priority_students, school_chain, school_for, school_staff_q, teacher_choices,
    unassigned_students,
)
from .search import (
    NO_MATCH, CappedPage, StudentFilters, active_care_prefetch, active_flags_prefetch, capped_page, filter_choices,
    normalize_query, search_hint, search_q, student_list,
)

__all__ = [
    "NO_MATCH", "CappedPage", "CareChain", "StudentFilters", "active_care_prefetch", "active_flags_prefetch",
    "capped_page", "care_chain", "change_log", "enrolments_of", "family_of", "filter_choices", "flags_of",
    "liaison_choices", "normalize_query", "priority_students", "school_chain", "school_for", "school_staff_q",
    "search_hint", "search_q", "siblings_of", "status_changes_of", "student_for", "student_list", "teacher_choices",
    "unassigned_students",
]
