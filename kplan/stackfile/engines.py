"""CDC engine templates: one Jinja2 template per Debezium engine (`<engine>.j2`), shipped in `kplan/templates`.

User template directories are searched first, so a stack can add an engine or override a built-in one.
Templates run in Jinja2's immutable sandbox with strict undefined variables, and render a YAML mapping:

    tables:                 # one entry per table passed in, in the same order
      - id: public.users    # the table as the engine's table.include.list names it
        topic: demo.public.users        # the topic Debezium writes the table's changes to
        data_collection: public.users   # optional: the id used in signals (defaults to id)
    schema_history_topic: schema-changes.pg   # optional: for engines with a schema history
    config: {connector.class: ..., ...}       # the connector config

jinja2 is imported only here, when a stack has CDC sources (never by `kplan --help`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "templates"
ALIASES = {"postgresql": "postgres", "mssql": "sqlserver"}
_TOPIC_CHARS = re.compile(r"[^a-zA-Z0-9._-]")


class TemplateFailure(Exception):
    """A template refused its input (`fail()` / `required()`), or could not be rendered. `field` names the
    source field at fault (e.g. "snapshot_mode"), when the template said."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _q(value) -> str:
    """Quote a value for YAML output (JSON is valid YAML), so no value can break the document."""
    return json.dumps(value, ensure_ascii=False)


def _slug(value, max_len: int = 63) -> str:
    """Lower-case letters, digits and '_' only: PostgreSQL replication slot and publication names."""
    s = re.sub(r"[^a-z0-9_]+", "_", str(value).lower()).strip("_")
    return s[:max_len] or "kplan"


def _topic_name(value) -> str:
    """Debezium's own sanitizing: characters Kafka does not allow in topic names become '_'."""
    return _TOPIC_CHARS.sub("_", str(value))


def _fail(message: str, field: str | None = None):
    raise TemplateFailure(str(message), field)


def _required(value, field: str):
    if value is None or value == "":
        raise TemplateFailure(f"{field} is required for this engine", field)
    return value


class EngineTemplates:
    def __init__(self, user_dirs=()):
        self.dirs = [str(d) for d in user_dirs] + [str(BUILTIN_DIR)]
        self.used: dict[str, bytes] = {}  # template path -> source bytes (for the inputs digest)
        self._env = None

    def known(self) -> list[str]:
        names: set[str] = set()
        for d in self.dirs:
            if os.path.isdir(d):
                names.update(n[:-3] for n in os.listdir(d) if n.endswith(".j2") and not n.startswith("."))
        return sorted(names)

    def find(self, engine: str) -> str | None:
        """The path of the template for `engine` (aliases allowed), or None."""
        name = ALIASES.get(engine, engine)
        if not re.match(r"^[A-Za-z0-9_-]+$", name):
            return None
        for d in self.dirs:
            path = os.path.join(d, name + ".j2")
            if os.path.isfile(path):
                return path
        return None

    def _environment(self):
        if self._env is None:
            from jinja2 import FileSystemLoader, StrictUndefined
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            env = ImmutableSandboxedEnvironment(
                loader=FileSystemLoader(self.dirs), undefined=StrictUndefined, autoescape=False,
                trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
            )
            env.filters.update(q=_q, slug=_slug, topic_name=_topic_name)
            env.globals.update(fail=_fail, required=_required)
            self._env = env
        return self._env

    def render(self, path: str, context: dict) -> str:
        import jinja2

        name = os.path.basename(path)
        try:
            with open(path, "rb") as f:
                self.used[path] = f.read()
            template = self._environment().get_template(name)
            if os.path.abspath(template.filename or "") != os.path.abspath(path):
                template = self._environment().from_string(self.used[path].decode("utf-8"))
            return template.render(**context)
        except TemplateFailure:
            raise
        except jinja2.TemplateSyntaxError as e:
            raise TemplateFailure(f"engine template {name}:{e.lineno}: syntax error: {e.message}") from None
        except jinja2.exceptions.SecurityError as e:
            raise TemplateFailure(f"engine template {name}: unsafe operation refused by the sandbox: {e}") from None
        except jinja2.UndefinedError as e:
            raise TemplateFailure(f"engine template {name}: {e.message}") from None
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, AttributeError, KeyError,
                IndexError, UnicodeDecodeError, OSError) as e:
            raise TemplateFailure(f"engine template {name}: {type(e).__name__}: {e}") from None
