"""Placeholder until the accounts branch lands (replaced on merge)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Session:
    token: str
    subject: str
    csrf: str
    expires_at: str


class Accounts:
    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}

    def start_session(self, subject: str) -> Session:
        s = Session(secrets.token_urlsafe(32), subject, secrets.token_urlsafe(32), "")
        self.sessions[s.token] = s
        return s

    def session(self, token: str) -> Session | None:
        return self.sessions.get(token)

    def end_session(self, token: str) -> None:
        self.sessions.pop(token, None)

    def forget(self, subject: str) -> None:
        pass

    def begin_authentication(self) -> tuple[str, str]:
        raise NotImplementedError

    def finish_authentication(self, ceremony: str, credential: str) -> str:
        raise NotImplementedError

    def begin_registration(self, code: str) -> tuple[str, str]:
        raise NotImplementedError

    def finish_registration(self, ceremony: str, credential: str) -> str:
        raise NotImplementedError
