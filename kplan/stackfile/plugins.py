"""Connector plugins declared by Maven coordinates (`kplan plugins install`): read from a stack file's
`cluster.connect` (or one named Connect cluster's settings) or from a workers' file (`plugins:` at its top level),
each problem one located error.

A plugin is `maven: groupId:artifactId[:packaging[:classifier]]:version` (Maven's own coordinate form) with the
artifact's `sha256` or `sha512`; `plugin_repository` beside the list is the Maven repository it comes from
(default: Maven Central). The file is read as written: no variables, environments or other clusters' overlays,
since nothing here depends on them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kplan.errors import KplanError
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap

MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2"
# what Connect reads from a plugin directory: a jar as it is, an archive unpacked
PACKAGINGS = ("jar", "zip", "tar.gz", "tgz")
_PART = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
_COORDINATES = re.compile(rf"({_PART}):({_PART})(?::({_PART}))?(?::({_PART}))?:({_PART})")
DIGESTS = {"sha256": 64, "sha512": 128}


@dataclass(frozen=True)
class Plugin:
    """One plugin artifact: its coordinates, the digest the file must have, and where it was declared."""

    group: str
    artifact: str
    version: str
    packaging: str
    classifier: str
    algorithm: str  # sha256 | sha512
    digest: str  # lower-case hex
    loc: Loc

    @property
    def coordinates(self) -> str:
        middle = self.packaging + (f":{self.classifier}" if self.classifier else "") + ":"
        return f"{self.group}:{self.artifact}:{'' if middle == 'jar:' else middle}{self.version}"

    @property
    def directory(self) -> str:
        """The plugin's own directory in the plugin path: one per artifact and version (Connect 4.1+ runs several
        versions of a plugin side by side, each in a directory of its own)."""
        return f"{self.artifact}-{self.version}" + (f"-{self.classifier}" if self.classifier else "")

    @property
    def file_name(self) -> str:
        return f"{self.artifact}-{self.version}" + (f"-{self.classifier}" if self.classifier else "") + \
            f".{self.packaging}"

    def path_in(self, repository: str) -> str:
        """The artifact's URL in a Maven repository (the standard layout)."""
        return "/".join([repository.rstrip("/"), *self.group.split("."), self.artifact, self.version, self.file_name])


@dataclass(frozen=True)
class PluginSet:
    plugins: tuple[Plugin, ...]
    repository: str


def read_plugins(doc_root: object, doc_loc: Loc, smap: SourceMap, diags: Diagnostics,
                 connect: str | None, cluster: str | None) -> PluginSet:
    """The plugins of a stack document (its `cluster`, or `clusters.<cluster>`; its `connect` settings, or those of
    Connect cluster `connect`) or of a workers' file (`plugins:` at the top)."""
    root = doc_root if isinstance(doc_root, dict) else {}
    holder, where, hloc = _holder(root, doc_loc, smap, connect, cluster)
    entries = holder.get("plugins")
    if not isinstance(entries, list) or not entries:
        raise KplanError(f"{doc_loc.file}: {where} declares no plugins: add `plugins:`, a list of "
                         "{maven: group:artifact[:packaging[:classifier]]:version, sha256: HEX}")
    repository = holder.get("plugin_repository", MAVEN_CENTRAL)
    if not isinstance(repository, str) or not repository.startswith(("http://", "https://")):
        diags.error(smap.value_loc(holder, "plugin_repository") or hloc,
                    "plugin_repository must be an http:// or https:// URL of a Maven repository")
        repository = MAVEN_CENTRAL
    plugins: list[Plugin] = []
    seen: dict[str, Loc] = {}
    for entry, loc in zip(entries, smap.item_locs(entries)):
        plugin = _plugin(entry, loc or hloc, smap, diags)
        if plugin is not None and not diags.declared_again(seen, plugin.directory, plugin.loc,
                                                            f"plugin {plugin.coordinates}", "keep one"):
            plugins.append(plugin)
    return PluginSet(tuple(plugins), repository.rstrip("/"))


def _holder(root: dict, loc: Loc, smap: SourceMap, connect: str | None, cluster: str | None
            ) -> tuple[dict, str, Loc]:
    """The mapping that holds `plugins` and how to name it."""
    if "cluster" not in root and "clusters" not in root:
        if connect or cluster:
            raise KplanError(f"{loc.file}: a workers' file (plugins: at its top) has no clusters: leave out "
                             "--connect and --cluster")
        return root, "the file", loc
    if "clusters" in root:
        clusters = root["clusters"] if isinstance(root["clusters"], dict) else {}
        if cluster not in clusters:
            raise KplanError(f"{loc.file}: name the cluster with --cluster (one of: {', '.join(map(str, clusters))})")
        c, key = clusters[cluster], f"clusters.{cluster}"
    else:
        if cluster:
            raise KplanError(f"{loc.file}: the stack has one cluster (cluster:): leave out --cluster")
        c, key = root["cluster"], "cluster"
    c = c if isinstance(c, dict) else {}
    settings = c.get("connect")
    if not isinstance(settings, dict):
        raise KplanError(f"{loc.file}: {key} has no connect settings: declare plugins in {key}.connect.plugins")
    cloc = smap.value_loc(c, "connect") or loc
    if "url" in settings:  # the single form
        if connect:
            raise KplanError(f"{loc.file}: {key}.connect is one Connect cluster: leave out --connect")
        return settings, f"{key}.connect", cloc
    named = [str(n) for n, s in settings.items() if isinstance(s, dict) and s.get("plugins")]
    if connect is None and len(named) == 1:
        connect = named[0]
    if connect is None or connect not in settings or not isinstance(settings[connect], dict):
        raise KplanError(f"{loc.file}: name the Connect cluster whose workers get the plugins with --connect "
                         f"(declaring plugins: {', '.join(named) or 'none'})")
    return settings[connect], f"{key}.connect.{connect}", smap.value_loc(settings, connect) or cloc


def _plugin(entry: object, loc: Loc, smap: SourceMap, diags: Diagnostics) -> Plugin | None:
    if not isinstance(entry, dict):
        diags.error(loc, "a plugin is a mapping: {maven: group:artifact[:packaging[:classifier]]:version, "
                         "sha256: HEX}")
        return None
    unknown = sorted(set(map(str, entry)) - {"maven", *DIGESTS})
    if unknown:
        diags.error(smap.key_loc(entry, unknown[0]) or loc,
                    f"unknown plugin key {unknown[0]!r}: a plugin has maven and sha256 or sha512")
        return None
    coordinates = entry.get("maven")
    cloc = smap.value_loc(entry, "maven") or loc
    m = _COORDINATES.fullmatch(coordinates) if isinstance(coordinates, str) else None
    if m is None:
        diags.error(cloc, f"{coordinates!r} is not Maven coordinates: write "
                          "group:artifact:version, or group:artifact:packaging[:classifier]:version")
        return None
    group, artifact, packaging, classifier, version = m.groups()
    packaging = packaging or "jar"
    if packaging not in PACKAGINGS:
        diags.error(cloc, f"packaging {packaging!r} is not one a plugin path takes "
                          f"({', '.join(PACKAGINGS)})")
        return None
    digests = [a for a in DIGESTS if a in entry]
    if len(digests) != 1:
        diags.error(loc, f"plugin {coordinates} needs exactly one checksum: sha256 or sha512 (the artifact's "
                         "digest, as its publisher gives it; `sha256sum FILE`)")
        return None
    algorithm = digests[0]
    digest = entry[algorithm]
    if not isinstance(digest, str) or not re.fullmatch(rf"[0-9a-fA-F]{{{DIGESTS[algorithm]}}}", digest):
        diags.error(smap.value_loc(entry, algorithm) or loc,
                    f"{algorithm} must be {DIGESTS[algorithm]} hexadecimal digits (quote it)")
        return None
    return Plugin(group, artifact, version, packaging, classifier or "", algorithm, digest.lower(), cloc)
