#!/usr/bin/env bash
# Builds the Jaeger v2 binary (an OpenTelemetry Collector distribution with Jaeger storage and
# query) once and caches it outside the repository. Prints the binary's path on stdout; progress
# and errors go to stderr. Used by the end-to-end suite (test/e2e/support/jaeger.ts).
#
# Version: Jaeger tags each release twice, v2.x for the binary and v1.x for the Go module (the
# module path has no /v2). The Go module proxy reachable here serves v1.76.0 == v2.13.0 (commit
# 63b27e18); it refuses newer commits ("This module version is not available"). `go install
# pkg@version` refuses the module because its go.mod has `replace` directives, so the module is
# downloaded with `go mod download` and built from inside it, where the directives apply.
set -euo pipefail

JAEGER_VERSION="v2.13.0"
JAEGER_MODULE="github.com/jaegertracing/jaeger"
JAEGER_MODULE_VERSION="v1.76.0"
JAEGER_COMMIT="63b27e1810a710ac54dc4522da0538e540bdc545"

cache_root="${LLM_OTEL_CACHE:-${HOME}/.cache/llm-otel-dispatcher}"
bin_dir="${cache_root}/jaeger-${JAEGER_VERSION}"
binary="${bin_dir}/jaeger"

if [[ -x "${binary}" ]]; then
  echo "${binary}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-jaeger: 'go' is not on PATH. Install Go >= 1.24 to build Jaeger ${JAEGER_VERSION}." >&2
  exit 2
fi

log="$(mktemp)"
trap 'rm -f "${log}"' EXIT

explain_failure() {
  cat "${log}" >&2
  if grep -qiE 'dial tcp|no such host|i/o timeout|connection refused|proxyconnect|TLS handshake|403 Forbidden|not available' "${log}"; then
    echo "build-jaeger: the Go module proxy ($(go env GOPROXY)) is unreachable or refused ${JAEGER_MODULE}@${JAEGER_MODULE_VERSION} or a dependency; Jaeger ${JAEGER_VERSION} cannot be built." >&2
  else
    echo "build-jaeger: $1 failed (output above)." >&2
  fi
  exit 3
}

echo "build-jaeger: building Jaeger ${JAEGER_VERSION} (${JAEGER_MODULE}@${JAEGER_MODULE_VERSION}) into ${bin_dir}; a cold build takes several minutes" >&2
start=$(date +%s)

# -json reports a failure in its "Error" field on stdout, so both streams go to the log.
if ! go mod download -json "${JAEGER_MODULE}@${JAEGER_MODULE_VERSION}" >"${log}" 2>&1; then
  explain_failure "go mod download ${JAEGER_MODULE}@${JAEGER_MODULE_VERSION}"
fi
module_dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "${log}")"
[[ -d "${module_dir}" ]] || explain_failure "go mod download (no module directory reported)"

mkdir -p "${bin_dir}"
partial="${binary}.partial.$$"
if ! (cd "${module_dir}" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath \
  -ldflags "-X ${JAEGER_MODULE}/internal/version.latestVersion=${JAEGER_VERSION} -X ${JAEGER_MODULE}/internal/version.commitSHA=${JAEGER_COMMIT}" \
  -o "${partial}" ./cmd/jaeger) >"${log}" 2>&1; then
  rm -f "${partial}"
  explain_failure "go build ./cmd/jaeger"
fi
mv -f "${partial}" "${binary}"

echo "build-jaeger: built in $(($(date +%s) - start)) s" >&2
echo "${binary}"
