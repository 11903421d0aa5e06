"""Discovery pages: roll-call and absences (rollcall.py), term start (term.py), ledgers (ledgers.py)."""
