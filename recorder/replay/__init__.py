"""Replay: cassettes and mock files answer the code under test, with drift reports on a miss.

``recorder.replay`` is both this package and the function tests call
(``with recorder.replay("stripe/checkout", mocks=[...]) as session:``): the module object is
made callable so the two names cannot shadow each other, whatever import order a user has.
"""
import sys
import types

from recorder.replay.api import Replay, replay
from recorder.replay.calls import Call, CallAssertionError, CallLog
from recorder.replay.drift import DriftError, DriftReport, FieldDiff
from recorder.replay.matching import MatchOptions, ReplayIndex, interaction_key, match_key
from recorder.replay.mocks import Mock, load_mock
from recorder.replay.session import ReplayConfig, ReplaySession, UnusedInteractions, UnusedInteractionsWarning

__all__ = ["Call", "CallAssertionError", "CallLog", "DriftError", "DriftReport", "FieldDiff", "MatchOptions", "Mock",
           "Replay", "ReplayConfig", "ReplayIndex", "ReplaySession", "UnusedInteractions",
           "UnusedInteractionsWarning", "interaction_key", "load_mock", "match_key", "replay"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return replay(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
