"""SQLite's consultation mixins: the shared SQL (`credo.store._consultations`) as written."""

from __future__ import annotations

from credo.store._consultations import ConsultationQueries as _Reads
from credo.store._consultations import ConsultationWrites as _Writes


class ConsultationQueries(_Reads):
    """SQLite marks parameters ``?``, as the shared statements are written."""


class ConsultationWrites(_Writes):
    pass
