"""Finding children out of school (SPEC §4): term-start 报到 check and 未返校 entries, roll-call and absence
thresholds, the three ledgers. Services: absences.py, term.py; reads: selectors.py; pages: views/."""
