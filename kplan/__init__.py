"""kplan: plan and apply Kafka topics and Kafka Connect connectors from declarative stack files."""

# The release's version (MAJOR.MINOR.PATCH, docs/releasing.md): `make release VERSION=X.Y.Z` stamps it here, in the
# pins the docs and CI examples show, and in CHANGELOG.md.
__version__ = "0.1.0"

# Where the documentation site is published: the one place to change it. The site's build sets mkdocs' site_url from
# it (dev/docs_reference.py), and `kplan --help` shows a page as its address there instead of its path in the
# repository (kplan.cli: docs/NAME.md becomes DOCS_URL + "NAME/").
DOCS_URL = "https://kplan.readthedocs.io/en/latest/"
