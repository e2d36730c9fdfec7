"""Capture: intercept provider calls, forward them to the sandbox (or a stand-in), write clean cassettes."""
from recorder.record.command import RunResult, run_recording
from recorder.record.forward import Upstream, UpstreamError, forward
from recorder.record.interception import CallHandler, Decision, NetworkBlocked, intercept
from recorder.record.modes import RecordMode
from recorder.record.autostart import RecordSpec
from recorder.record.session import RecordConfig, RecordSession, UnmatchedRequest, WrittenCassette, parse_targets

__all__ = ["CallHandler", "Decision", "NetworkBlocked", "RecordConfig", "RecordMode", "RecordSession", "RecordSpec",
           "RunResult", "UnmatchedRequest", "Upstream", "UpstreamError", "WrittenCassette", "forward", "intercept",
           "parse_targets", "run_recording"]
