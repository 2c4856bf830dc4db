"""Reading the hub's YAML files: one loader for every kind, refusing a key written twice.

Plain YAML keeps the last of two equal keys silently, so ``schedule:`` written twice in a feed
file, or ``treatment:`` twice in an agreement, would change what the hub does without a word.
"""

from __future__ import annotations

from typing import Any

import yaml


class StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key written twice in one mapping."""


def _mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is written twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def parse_yaml(text: str) -> Any:
    """The document in ``text``; ``yaml.YAMLError`` when it is not valid or repeats a key."""
    return yaml.load(text, Loader=StrictLoader)
