"""Put on PYTHONPATH by ``recorder record``: switch recording on before the program starts.

Any sitecustomize the environment already had still runs, after ours.
"""
import importlib
import os
import sys

try:
    from recorder.record.autostart import start_from_environment

    start_from_environment()
except Exception as exc:  # never take the user's program down with us
    print(f"recorder: could not start recording: {exc}", file=sys.stderr)

_here = os.path.dirname(os.path.abspath(__file__))
_saved = list(sys.path)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
_ours = sys.modules.pop("sitecustomize", None)
try:
    importlib.import_module("sitecustomize")
except ImportError:
    pass
finally:
    sys.path[:] = _saved
    if _ours is not None and "sitecustomize" not in sys.modules:
        sys.modules["sitecustomize"] = _ours
