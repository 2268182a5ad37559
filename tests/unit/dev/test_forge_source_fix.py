"""The forge's build fixes Gitea 1.26.0's token cache in the source it builds (dev/localstack/forge.py SOURCE_FIXES),
and refuses a source tree the fix was not made for instead of building it unfixed."""

import pytest

from dev.localstack.common import LocalStackError
from dev.localstack.forge import SOURCE_FIXES, fix_source

ENGINE = "models/db/engine.go"
UPSTREAM = """func RegisterModel(bean any, initFunc ...func() error) {
\tregisteredModels = append(registeredModels, bean)
\tif len(registeredInitFuncs) > 0 && initFunc[0] != nil {
\t\tregisteredInitFuncs = append(registeredInitFuncs, initFunc[0])
\t}
}
"""


def test_the_init_function_test_reads_the_argument_after_the_fix(tmp_path):
    (tmp_path / "models" / "db").mkdir(parents=True)
    (tmp_path / ENGINE).write_text(UPSTREAM)
    fix_source(tmp_path)
    fixed = (tmp_path / ENGINE).read_text()
    assert "if len(initFunc) > 0 && initFunc[0] != nil {" in fixed
    assert "len(registeredInitFuncs) > 0" not in fixed
    assert set(SOURCE_FIXES) == {ENGINE}


def test_a_source_without_the_line_is_refused(tmp_path):
    (tmp_path / "models" / "db").mkdir(parents=True)
    (tmp_path / ENGINE).write_text(UPSTREAM.replace("registeredInitFuncs) > 0", "initFunc) > 0"))
    with pytest.raises(LocalStackError, match="not the source this fix was made for"):
        fix_source(tmp_path)
