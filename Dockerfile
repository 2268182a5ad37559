# kplan for CI: `docker build -t kplan .`, then `docker run --rm -v "$PWD:/stacks" kplan plan stacks/app.yaml`.
# Two stages: the first builds the wheel exactly as `pip wheel --no-deps .` does on a workstation (from
# pyproject.toml, README.md and kplan/ alone: .dockerignore sends nothing else); the final one installs only that
# wheel and its dependencies from the package index, so the image is the wheel, nothing more.
# tests/unit/test_dockerfile.py checks this file (pinned base, stages, user, entry point; hadolint).
# The base is pinned to a Python patch release and Debian release; bump it deliberately.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kplan ./kplan
RUN pip wheel --no-cache-dir --disable-pip-version-check --no-deps --wheel-dir /dist .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /dist/ /tmp/dist/
# pip compiles the bytecode of kplan and its dependencies as it installs them (its default): under
# PYTHONDONTWRITEBYTECODE nothing would write it later (tests/unit/test_install_bytecode.py runs these lines)
# (then the code of kplan's dataclasses compiled ahead, as `make venv` does: kplan.start.warm_dataclasses)
RUN pip install --no-cache-dir --disable-pip-version-check /tmp/dist/kplan-*.whl \
    && python -c "import kplan.start as s; s.warm_dataclasses()" \
    && rm -rf /tmp/dist \
    && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin kplan
# kplan keeps its local journal copy under $HOME/.local/state/kplan (KPLAN_STATE_DIR moves it)
USER 10001:10001
# Mount the repository with the stack files here; secrets come from the environment at run time
# (`${secret:env:NAME}` references, e.g. `docker run -e KAFKA_PASSWORD ...`), never from the image.
WORKDIR /stacks
# `kplan watch --tree /stacks --metrics-addr 0.0.0.0:9308` serves its metrics here (docs/operations.md; the
# Kubernetes manifest is deploy/kubernetes/kplan-watch.yaml)
EXPOSE 9308
ENTRYPOINT ["kplan"]
CMD ["--help"]
