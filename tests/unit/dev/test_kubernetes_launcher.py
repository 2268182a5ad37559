"""The launcher's rewrite of k8s.io/kubernetes' go.mod (dev/localstack/kubernetes.py): the module zip has no staging
tree, so its replace lines to it must point at the published modules, and a go.mod without them is an error, not a
build that fails twenty minutes later."""

import pytest

from localstack.common import LocalStackError
from localstack.kubernetes import STAGING_VERSION, staged

GO_MOD = """module k8s.io/kubernetes

require (
\tk8s.io/api v0.0.0
\tgithub.com/spf13/cobra v1.10.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/apiextensions-apiserver => ./staging/src/k8s.io/apiextensions-apiserver
\tgithub.com/example/kept => github.com/example/kept v1.2.3
)
"""


def test_the_staging_replace_lines_point_at_the_published_modules():
    assert staged(GO_MOD).splitlines()[8:12] == [
        f"\tk8s.io/api => k8s.io/api v{STAGING_VERSION}",
        f"\tk8s.io/apiextensions-apiserver => k8s.io/apiextensions-apiserver v{STAGING_VERSION}",
        "\tgithub.com/example/kept => github.com/example/kept v1.2.3",
        ")"]


def test_a_go_mod_without_staging_lines_is_an_error():
    with pytest.raises(LocalStackError, match="no staging replace lines"):
        staged("module k8s.io/kubernetes\n")
