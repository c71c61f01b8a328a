"""
The rules of boards, registrations, course runs and participants, one module per subdomain.

Views, forms, the admin and tasks call these functions; none of them repeats
a rule. Capacity is decided in `enrolment` only, with the course run's row
locked, so two enrolments at the same moment can never both take the last seat.
"""
