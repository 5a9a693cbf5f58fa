"""All rules, one module per family. Importing this package registers them."""
from . import apk, base_image, deps_go, deps_node, deps_python, downloads, init, input, shell  # noqa: F401  (registration side effects)
from .registry import REGISTRY, Hit, Rule, rule

__all__ = ["REGISTRY", "Hit", "Rule", "rule", "all_rules"]


def all_rules() -> list[Rule]:
    return sorted(REGISTRY.values(), key=lambda r: r.id)
