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
    """Also sums the wall time of the same task steps: wall / CPU over them is how much other
    processes on a loaded machine stretched this one's work (`stretch`), 1.0 on an idle core."""

    def __init__(self) -> None:
        self.seconds: defaultdict[tuple[int, str], float] = defaultdict(float)
        self._start = 0.0
        self._wall_start = 0.0
        self.step_wall = 0.0
        self.step_cpu = 0.0

    def before_task_step(self, task) -> None:
        self._wall_start = time.perf_counter()
        self._start = time.thread_time()

    def after_task_step(self, task) -> None:
        cpu = time.thread_time() - self._start
        self.step_wall += time.perf_counter() - self._wall_start
        self.step_cpu += cpu
        self.seconds[task.context.get(OWNER, (0, "network"))] += cpu

    def stretch(self) -> float:
        return self.step_wall / self.step_cpu if self.step_cpu > 0 else 1.0

    def take(self) -> dict[tuple[int, str], float]:
        """Seconds since the last take, and start counting anew (one incident each)."""
        out = dict(self.seconds)
        self.seconds.clear()
        self.step_wall = self.step_cpu = 0.0
        return out
