#!/usr/bin/env bash
# Builds the agent-tier OpenTelemetry Collector (OTLP in, `loadbalancing` exporter out; manifest in
# collector/scale/agent/builder-config.yaml) once with the OpenTelemetry Collector Builder (OCB)
# and caches it outside the repository. Prints the binary's path on stdout; progress and errors
# go to stderr. For tests on machines without Docker (docker-compose runs the contrib image).
#
# Versions: OCB v0.140.0 and the components pinned in the manifest (core v0.140.0 / v1.46.0,
# contrib v0.140.1) are the ones the Jaeger module built by scripts/build-jaeger.sh uses, so Go's
# build cache from that build is reused. `go install pkg@version` works for the builder (its
# go.mod has no `replace` directives); it goes into a scratch GOBIN and is deleted afterwards.
#
# Checksum database: the one reachable here (through the module proxy) has no entries for module
# versions published after early November 2025; lookups for them fail with "verifying module: ...
# sum.golang.org/lookup/...: 404 Not Found" (otelcol@v0.139.0 is found, @v0.140.0 is not). That
# covers the whole collector and contrib families at these versions plus the AWS Cloud Map SDK
# the loadbalancing exporter's resolver needs, so exactly those path prefixes skip the lookup
# (GONOSUMDB); their hashes then come from the proxy alone. Everything else is still verified.
set -euo pipefail

OCB_VERSION="v0.140.0"
AGENT_VERSION="v0.140.1" # contrib version; same as the docker-compose image tag
NOSUMDB="go.opentelemetry.io/collector,github.com/open-telemetry/opentelemetry-collector-contrib,github.com/aws/aws-sdk-go-v2/service/servicediscovery"

manifest="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/collector/scale/agent/builder-config.yaml"
cache_root="${LLM_OTEL_CACHE:-${HOME}/.cache/llm-otel-dispatcher}"
bin_dir="${cache_root}/llm-otel-agent-${AGENT_VERSION}"
binary="${bin_dir}/llm-otel-agent"

if [[ -x "${binary}" ]]; then
  echo "${binary}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-agent-collector: 'go' is not on PATH (OCB compiles with it). Install Go >= 1.24." >&2
  exit 2
fi

# Scratch directory inside the cache (same filesystem, so the final rename is atomic): holds OCB,
# the generated sources and go.mod, and TMPDIR (OCB makes an unused temp directory on each run).
mkdir -p "${bin_dir}"
work="$(mktemp -d "${bin_dir}/build.XXXXXX")"
log="${work}/build.log"
trap 'rm -rf "${work}"' EXIT

explain_failure() {
  cat "${log}" >&2
  if grep -qiE 'verifying (module|go.mod).*404' "${log}"; then
    echo "build-agent-collector: the checksum database has no entry for a module above; add its path to NOSUMDB in $0." >&2
  elif grep -qiE 'dial tcp|no such host|i/o timeout|connection refused|proxyconnect|TLS handshake|403 Forbidden|not available' "${log}"; then
    echo "build-agent-collector: the Go module proxy ($(go env GOPROXY)) is unreachable or refused OCB ${OCB_VERSION} or a component module; the agent collector cannot be built." >&2
  else
    echo "build-agent-collector: $1 failed (output above)." >&2
  fi
  exit 3
}

export GONOSUMDB="${GONOSUMDB:+${GONOSUMDB},}${NOSUMDB}"
echo "build-agent-collector: building llm-otel-agent ${AGENT_VERSION} with OCB ${OCB_VERSION} into ${bin_dir}; a cold build takes several minutes" >&2
start=$(date +%s)

if ! GOBIN="${work}/bin" go install "go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION}" >"${log}" 2>&1; then
  explain_failure "go install go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION}"
fi

# OCB generates main.go/components.go/go.mod into dist.output_path (relative, so under ${work}),
# runs `go mod tidy` and compiles with CGO_ENABLED=0 -trimpath -ldflags="-s -w". Strict
# versioning fails the build if dependency resolution moved core or a component off its pin.
if ! (cd "${work}" && TMPDIR="${work}" "${work}/bin/builder" --config "${manifest}" \
  --skip-strict-versioning=false) >"${log}" 2>&1; then
  explain_failure "OCB (builder --config ${manifest})"
fi

partial="${binary}.partial.$$"
mv -f "${work}/llm-otel-agent-src/llm-otel-agent" "${partial}"
mv -f "${partial}" "${binary}"

echo "build-agent-collector: built in $(($(date +%s) - start)) s" >&2
echo "${binary}"
