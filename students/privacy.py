"""Privacy classification of the registry's models (kongchuo.privacy): everything about a child is personal."""
from kongchuo import privacy

privacy.personal(
    "students.Student", "students.FamilyMember", "students.CareAssignment", "students.VulnerabilityFlag",
    "students.StatusChange", "students.TransferConfirmation", "students.StatusChangeDocument", "students.Enrolment",
    "students.RollCall", "students.Absence", "students.AbsenceEpisode", "students.AbsenceAlert",
    "students.TermArrival", "students.NonReturnEntry",
    # import records keep the rows' errors (names, ID numbers, dates) and the uploaded file
    "students.ImportBatch", "students.PopulationList", "students.PopulationEntry",
)
# 教育办领导包学校: a staff member ↔ a school.
privacy.no_child_data("students.OfficeSchoolLiaison")
