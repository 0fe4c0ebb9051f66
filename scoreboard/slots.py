"""One board refresh per task and interval across the whole deployment (issue 14).

Every web node and worker used to refresh a task's boards up to four times a second on its
own: in the rush, three processes made a refresh and a push per score, and each refresh waited
on the others' row lock of the board's version (14 ms a refresh, 29 s of PostgreSQL in a
minute). Here a change marks its task in Redis; whoever takes the task's slot (``SET NX PX``
for the interval) clears the mark and refreshes; a change seen while another holds the slot
is refreshed, by the process that saw it, once the slot frees if its mark is still there.
"""

from __future__ import annotations

from redis import Redis
from redis.client import Pipeline

# A mark holds the moment (Redis's clock, ms) of the first change it stands for; later changes
# leave it as it is (NX), so its age says how long the oldest unshown change has waited.
_MARK_NOW = """
local t = redis.call('TIME')
redis.call('SET', KEYS[2], string.format('%d', t[1] * 1000 + math.floor(t[2] / 1000)),
           'NX', 'EX', 3600)
"""
# KEYS: the slot, the mark. ARGV: the interval in ms. Mark the change, then try the slot:
# 0 if taken (the mark cleared: the refresh reads every change marked so far), else the ms
# until it frees.
_CHANGE = (
    _MARK_NOW
    + """
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  redis.call('DEL', KEYS[2])
  return 0
end
return math.max(redis.call('PTTL', KEYS[1]), 1)
"""
)
_MARK = _MARK_NOW + "return 1"
# The same without marking: -1 if no change awaits (someone refreshed it meanwhile) or, with
# ARGV[2] > 0, if the oldest waited less than ARGV[2] ms (a score's push will likely show it).
# A mark of before marks held their moment ('1') counts as old.
_AGAIN = """
local marked = redis.call('GET', KEYS[2])
if not marked then return -1 end
if tonumber(ARGV[2]) > 0 then
  local t = redis.call('TIME')
  local now = t[1] * 1000 + math.floor(t[2] / 1000)
  if now - (tonumber(marked) or 0) < tonumber(ARGV[2]) then return -1 end
end
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  redis.call('DEL', KEYS[2])
  return 0
end
return math.max(redis.call('PTTL', KEYS[1]), 1)
"""


class SharedSlots:
    """The deployment's refresh slots, one per task, in Redis (one round trip each)."""

    def __init__(self, redis: Redis, prefix: str, interval_s: float) -> None:
        self.prefix = prefix
        self.interval_ms = max(1, int(interval_s * 1000))
        self._redis = redis
        self._change = redis.register_script(_CHANGE)
        self._mark = redis.register_script(_MARK)
        self._again = redis.register_script(_AGAIN)

    def _keys(self, task_id: int) -> list[str]:
        return [f"{self.prefix}:board-slot:{task_id}", f"{self.prefix}:board-dirty:{task_id}"]

    def mark(self, task_id: int, pipeline: Pipeline | None = None) -> None:
        """A change that needs no push of its own: the next refresh, by anyone, shows it
        (with ``pipeline``, once the caller executes it)."""
        if pipeline is None:
            self._mark(keys=self._keys(task_id))
        else:
            # The script's text, not a registered script: redis-py checks a pipeline's scripts
            # with a SCRIPT EXISTS of its own before sending it, a round trip more an upload.
            pipeline.eval(_MARK, 2, *self._keys(task_id))

    def change(self, task_id: int) -> float:
        """A change of the task: 0 if this process refreshes now, else seconds to wait."""
        return int(self._change(keys=self._keys(task_id), args=[self.interval_ms])) / 1000

    def again(self, task_id: int, older_than_s: float = 0.0) -> float | None:
        """After a wait: None if nothing awaits (or, with ``older_than_s``, nothing that has
        waited so long), 0 to refresh now, else seconds to wait."""
        args = [self.interval_ms, int(older_than_s * 1000)]
        waited = int(self._again(keys=self._keys(task_id), args=args))
        return None if waited < 0 else waited / 1000
