"""Replay: match live requests to recorded interactions in constant time."""
from recorder.replay.matching import MatchOptions, ReplayIndex, interaction_key, match_key

__all__ = ["MatchOptions", "ReplayIndex", "interaction_key", "match_key"]
