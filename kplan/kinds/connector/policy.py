"""The connector kind's part of a stack's policy (kplan.kinds.policy.PolicyPart): its allowed and forbidden classes
and its config rules (a secret config value is never said)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Iterator

from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.policy import Finding, PolicyPart, forbidden_config, required_config
from kplan.model.policy import Rule, RuleType


def _allowed_classes(rule: Rule, r: ConnectorSpec, env: str | None) -> Iterator[Finding]:
    cls = r.connector_class
    if not any(class_matches(cls, pattern) for pattern in rule.classes):
        yield (("config", "connector.class"), f'class "{cls}" is not one of the allowed classes '
                                              f"({', '.join(rule.classes)})", r.config_origins.get("connector.class"))


def _forbidden_classes(rule: Rule, r: ConnectorSpec, env: str | None) -> Iterator[Finding]:
    cls = r.connector_class
    hit = next((pattern for pattern in rule.classes if class_matches(cls, pattern)), None)
    if hit is not None:
        shown = "" if hit == cls else f" ({hit})"
        yield (("config", "connector.class"), f'class "{cls}" is forbidden{shown}',
               r.config_origins.get("connector.class"))


def class_matches(cls: str, pattern: str) -> bool:
    """Whether a connector class matches a policy's class: the same name, a `*` pattern, or a Connect alias on
    either side (`FileStreamSink` and `FileStreamSinkConnector` for `...connect.file.FileStreamSinkConnector`)."""
    if fnmatchcase(cls, pattern):
        return True
    if "*" in pattern:  # a package pattern cannot match an alias (it has no package); `*Sink*` can
        return "." not in cls and "." not in pattern and any(fnmatchcase(form, pattern) for form in _forms(cls))
    if "." not in cls:
        return cls in _forms(pattern)
    if "." not in pattern:
        return pattern in _forms(cls)
    return False


def _forms(cls: str) -> set[str]:
    simple = cls.rsplit(".", 1)[-1]
    return {cls, simple, simple.removesuffix("Connector")}


POLICY = PolicyPart({
    RuleType.CONNECTOR_ALLOWED_CLASSES: _allowed_classes,
    RuleType.CONNECTOR_FORBIDDEN_CLASSES: _forbidden_classes,
    RuleType.CONNECTOR_REQUIRED_CONFIG: required_config,
    RuleType.CONNECTOR_FORBIDDEN_CONFIG: forbidden_config,
})
