"""PostgreSQL's consultation mixins: the shared SQL (`credo.store._consultations`) with
psycopg's ``%s`` parameters."""

from __future__ import annotations

from functools import lru_cache

from credo.store._consultations import ConsultationQueries as _Reads
from credo.store._consultations import ConsultationWrites as _Writes


@lru_cache(maxsize=256)
def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


class ConsultationQueries(_Reads):
    def _sql(self, sql: str) -> str:
        return _pg(sql)


class ConsultationWrites(ConsultationQueries, _Writes):
    pass
