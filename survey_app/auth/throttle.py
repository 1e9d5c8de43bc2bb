"""Login throttling per (account, address) pair, with growing delays.

The first ``LOGIN_THROTTLE_FREE_FAILURES`` failures of a pair cost nothing.
After that, each failure makes the pair wait before its next attempt:
``LOGIN_THROTTLE_BASE_DELAY`` seconds, then twice that, four times, ...
up to ``LOGIN_THROTTLE_MAX_DELAY``. An attempt during the wait is refused
without looking at the password (429, with ``Retry-After``) and is not
counted. A successful login clears the pair.

Keyed by the pair, never the account alone: someone guessing a colleague's
password from their own machine slows only themselves, and the colleague
still signs in from theirs. The key is an HMAC (with the app's secret key) of
the address typed and the client address, so the table holds no address.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass

from flask import current_app, request

from survey_app import storage


@dataclass(frozen=True)
class ThrottleRule:
    free_failures: int = 5
    base_delay: float = 1.0
    max_delay: float = 300.0
    forget_after: float = 24 * 3600.0

    def delay_after(self, failures: int) -> float:
        """Seconds a pair must wait after its ``failures``-th failure."""
        if failures < self.free_failures:
            return 0.0
        return min(self.base_delay * 2 ** (failures - self.free_failures), self.max_delay)


def rule() -> ThrottleRule:
    """The app's rule, from its ``LOGIN_THROTTLE_*`` settings."""
    config = current_app.config
    return ThrottleRule(
        free_failures=int(config["LOGIN_THROTTLE_FREE_FAILURES"]),
        base_delay=float(config["LOGIN_THROTTLE_BASE_DELAY"]),
        max_delay=float(config["LOGIN_THROTTLE_MAX_DELAY"]),
        forget_after=float(config["LOGIN_THROTTLE_FORGET_AFTER"]),
    )


def pair_key(account: str, address: str | None = None) -> str:
    """The HMAC naming the (account typed, client address) pair."""
    if address is None:
        address = request.remote_addr or ""
    message = f"{account.strip().lower()}\0{address}".encode()
    return hmac.new(current_app.secret_key.encode(), message, hashlib.sha256).hexdigest()


def seconds_to_wait(db, key: str, now: float | None = None) -> float:
    """How long the pair must still wait before it may try again (0 when free)."""
    failures, last = storage.login_failures(db, key)
    if not failures:
        return 0.0
    now = time.time() if now is None else now
    return max(0.0, last + rule().delay_after(failures) - now)


def record_failure(db, key: str, now: float | None = None) -> int:
    """Count a failed attempt of the pair; return its failures so far."""
    now = time.time() if now is None else now
    return storage.record_login_failure(db, key, now, forget_before=now - rule().forget_after)


def claim_attempt(db, key: str, now: float | None = None) -> float:
    """Seconds the pair must wait, or 0 after counting this attempt as a failure.

    One transaction, so that parallel attempts cannot all pass the check
    before any is counted (a successful one then calls :func:`clear`).
    """
    now = time.time() if now is None else now
    rule_now = rule()
    return storage.claim_login_attempt(db, key, now, now - rule_now.forget_after,
                                       rule_now.delay_after)


def clear(db, key: str) -> None:
    storage.clear_login_failures(db, key)


def retry_after_header(wait: float) -> str:
    """``Retry-After`` in whole seconds, never 0 while a wait remains."""
    return str(max(1, math.ceil(wait)))
