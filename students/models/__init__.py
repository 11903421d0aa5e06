"""Student registry models, one module per concern (each issue/helper owns its module)."""
from .core import CareAssignment, FamilyMember, ScopedQuerySet, Student

__all__ = ["CareAssignment", "FamilyMember", "ScopedQuerySet", "Student"]
