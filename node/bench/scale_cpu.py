"""CPU seconds per in-process guardian: a trio instrument that charges the thread CPU time
(`time.thread_time`) of every task step to the guardian and the activity the task belongs to.

Guardians share one thread and one event loop, so wall time measures the machine's load and
every other guardian; thread time around each task step measures what that guardian's code
burned. A task says whose it is with `charge_to(guardian, activity)` (a context variable, which
trio copies into the tasks it spawns); steps of tasks that never said are charged to guardian 0
(the emulated network and the bench driver).
"""

from __future__ import annotations

import contextvars
import time
from collections import defaultdict

import trio

OWNER: contextvars.ContextVar[tuple[int, str]] = contextvars.ContextVar(
    "scale_cpu_owner", default=(0, "network"))


def charge_to(guardian: int, activity: str) -> None:
    """From now on, this task's (and its future children's) CPU belongs to `guardian`."""
    OWNER.set((guardian, activity))


class CpuLedger(trio.abc.Instrument):
    def __init__(self) -> None:
        self.seconds: defaultdict[tuple[int, str], float] = defaultdict(float)
        self._start = 0.0

    def before_task_step(self, task) -> None:
        self._start = time.thread_time()

    def after_task_step(self, task) -> None:
        owner = task.context.get(OWNER, (0, "network"))
        self.seconds[owner] += time.thread_time() - self._start

    def take(self) -> dict[tuple[int, str], float]:
        """Seconds since the last take, and start counting anew (one incident each)."""
        out = dict(self.seconds)
        self.seconds.clear()
        return out
