"""Provider knowledge as data: one TOML profile per API (see ``builtin/``)."""
from recorder.providers.profile import BodyEncoding, Provider, SecretRules, parse_profile
from recorder.providers.registry import GENERIC, ProviderRegistry, build_registry, builtin_profiles, load_registry

__all__ = ["BodyEncoding", "GENERIC", "Provider", "ProviderRegistry", "SecretRules", "build_registry",
           "builtin_profiles", "load_registry", "parse_profile"]
