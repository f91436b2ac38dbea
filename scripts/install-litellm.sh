#!/usr/bin/env bash
# Installs the LiteLLM proxy (`litellm[proxy]`, pinned) into a Python virtual environment cached
# outside the repository, once. Prints the path of the venv's `litellm` executable on stdout;
# progress, the time taken and errors go to stderr. Used by the end-to-end suite
# (test/e2e/support/litellm.ts), which puts the proxy in front of the mock gateway.
#
# Version: 1.108.5 is the newest 1.108 whose `proxy` extra resolves on the registry reachable here
# (1.108.9 to 1.108.14 pin litellm-enterprise / litellm-proxy-extras `.post` releases it does not
# have; 1.110 pins a `litellm-proxy` package it does not have). Every transitive dependency is
# pinned too (CONSTRAINTS, from `pip install --dry-run --report` on Python 3.11, all wheels), so a
# new release of any of them cannot change what the suite runs.
#
# Idempotent: a venv is complete only when its marker file names the pinned version and pins and
# its interpreter runs; a venv left half-built by an interrupted run is removed and built again.
# Concurrent runs wait on a lock.
# A venv is not relocatable (its scripts name their interpreter by absolute path), so it is built
# in place rather than in a scratch directory and renamed.
#
# Environment: LLM_OTEL_CACHE (cache root, default ~/.cache/llm-otel-dispatcher), PYTHON (the
# interpreter that makes the venv, default python3; 3.9 or newer), LITELLM_INSTALL_TIMEOUT_S
# (bound on the pip install, default 900).
set -euo pipefail

LITELLM_VERSION="1.108.5"

CONSTRAINTS="
aiohappyeyeballs==2.7.1 aiohttp==3.14.5 aiosignal==1.4.0 annotated-doc==0.0.7
annotated-types==0.8.0 anyio==4.16.0 apscheduler==3.11.3 attrs==26.1.0 azure-core==1.41.0
azure-identity==1.27.0 azure-storage-blob==12.31.1 backoff==2.2.1 boto3==1.44.18 botocore==1.44.18
certifi==2026.10.19.post1 cffi==2.1.1 charset-normalizer==3.5.3 click==8.5.1 croniter==7.0.0
cryptography==50.0.2 dnspython==2.9.2 email-validator==2.4.0 expression==5.8.0 fastapi==0.165.0
fastapi-sso==0.23.0 fastuuid==0.14.0 filelock==4.3.2 frozenlist==1.8.0 fsspec==2026.9.0
granian==2.8.9 gunicorn==23.0.0 h11==0.16.0 h2==4.4.1 hf-xet==1.8.0 hiredis==3.5.0 hpack==4.2.0
httpcore==1.0.9 httpcore2==2.17.0 httpx==0.29.0 httpx2==2.17.0 huggingface_hub==1.33.0
hyperframe==6.1.0 idna==3.21 importlib_metadata==8.9.0 inquirerpy==0.3.4 isodate==0.7.2
jinja2==3.1.6 jiter==0.19.0 jmespath==1.1.0 jsonschema==4.26.0 jsonschema-specifications==2025.9.1
litellm-enterprise==0.1.79.post1 litellm-proxy-extras==0.4.110 markdown-it-py==4.3.0
markupsafe==3.0.4 mcp==2.3.0 mcp-types==2.3.0 mdurl==0.1.2 msal==1.39.0 msal-extensions==1.3.1
multidict==7.2.1 numpy==2.4.6 oauthlib==4.0.1 openai==3.63.0 opentelemetry-api==1.45.3
orjson==3.13.0 packaging==26.4 pfzy==0.3.4 polars==1.44.2 polars-runtime-32==1.44.2
prompt_toolkit==3.0.53 propcache==0.5.4 psycopg==3.3.9 psycopg-binary==3.3.9 pycparser==3.12
pydantic==2.14.4 pydantic-settings==2.16.3 pydantic_core==2.50.5 pygments==2.21.0 pyjwt==2.15.1
pynacl==1.6.2 pyroscope-io==0.8.16 python-dateutil==2.9.0.post0 python-dotenv==1.2.4
python-multipart==0.0.34 pyyaml==6.0.4 redis==8.2.0 referencing==0.37.0 regex==2026.12.2
requests==2.34.2 restrictedpython==8.5 rich==13.9.4 rpds-py==2026.9.1 rq==2.12.0
s3transfer==0.19.3 six==1.17.0 sniffio==1.3.1 soundfile==0.14.0 sse-starlette==3.7.1
starlette==1.10.0 tiktoken==0.14.0 tokenizers==0.23.3 tomlkit==0.15.3 tqdm==4.70.1
truststore==0.10.5 typing-inspection==0.4.5 typing_extensions==4.16.0 tzlocal==5.4.5
urllib3==2.8.0 uvicorn==0.55.0 uvloop==0.23.0 wcwidth==0.9.5 websockets==15.0.1 yarl==1.25.1
zipp==4.1.2
"

python="${PYTHON:-python3}"
cache_root="${LLM_OTEL_CACHE:-${HOME}/.cache/llm-otel-dispatcher}"
install_timeout="${LITELLM_INSTALL_TIMEOUT_S:-900}"
start_ns=$(date +%s%N)
# Time since the start, e.g. `0.4 s`.
elapsed() {
  local ms=$((($(date +%s%N) - start_ns) / 1000000))
  echo "$((ms / 1000)).$((ms % 1000 / 100)) s"
}

if ! command -v "${python}" >/dev/null 2>&1; then
  echo "install-litellm: '${python}' is not on PATH. Install Python >= 3.9 (with venv) to run the LiteLLM e2e test." >&2
  exit 2
fi
py_version="$("${python}" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
if ! "${python}" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'; then
  echo "install-litellm: ${python} is Python ${py_version}; LiteLLM ${LITELLM_VERSION} needs 3.9 or newer." >&2
  exit 2
fi

venv="${cache_root}/litellm-${LITELLM_VERSION}-py${py_version}"
marker="${venv}/.llm-otel-installed"
# What the marker must say: the version and the pins, so a changed pin list rebuilds the venv.
marker_text="litellm[proxy]==${LITELLM_VERSION} $(printf '%s' "${CONSTRAINTS}" | sha256sum | cut -c1-16)"
executable="${venv}/bin/litellm"

# Complete, and its interpreter still runs (a venv breaks when the Python that made it is removed).
installed() {
  [[ -x "${executable}" && -f "${marker}" && "$(cat "${marker}")" == "${marker_text}" ]] &&
    "${venv}/bin/python" -c '' >/dev/null 2>&1
}

if installed; then
  echo "install-litellm: LiteLLM ${LITELLM_VERSION} cached in ${venv} ($(elapsed))" >&2
  echo "${executable}"
  exit 0
fi

mkdir -p "${cache_root}"
exec 9>"${venv}.lock"
if ! flock -w "${install_timeout}" 9; then
  echo "install-litellm: another install holds ${venv}.lock for over ${install_timeout} s." >&2
  exit 3
fi
# Another run may have finished the install while this one waited for the lock.
if installed; then
  echo "install-litellm: LiteLLM ${LITELLM_VERSION} cached in ${venv} ($(elapsed))" >&2
  echo "${executable}"
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "${log}"' EXIT

fail() {
  tail -n 60 "${log}" >&2
  rm -rf "${venv}"
  if grep -qiE 'Could not find a version|No matching distribution|connection|timed out|Temporary failure|SSLError|ProxyError' "${log}"; then
    echo "install-litellm: PyPI is unreachable or has no litellm[proxy]==${LITELLM_VERSION} for Python ${py_version}; the LiteLLM e2e test cannot run." >&2
  else
    echo "install-litellm: $1 failed (output above)." >&2
  fi
  exit 3
}

echo "install-litellm: installing litellm[proxy]==${LITELLM_VERSION} into ${venv} (Python ${py_version}); a cold install downloads 116 wheels (about 2 min here)" >&2
rm -rf "${venv}"
if ! "${python}" -m venv "${venv}" >"${log}" 2>&1; then
  fail "${python} -m venv (is the venv module installed? Debian: apt-get install python3-venv)"
fi
constraints="${venv}/constraints.txt"
tr ' ' '\n' <<<"${CONSTRAINTS}" | sed '/^$/d' >"${constraints}"
# Wheels preferred: with the pins above, nothing is compiled on CPython 3.11.
if ! timeout "${install_timeout}" "${venv}/bin/python" -m pip install --disable-pip-version-check \
  --no-input --prefer-binary --constraint "${constraints}" "litellm[proxy]==${LITELLM_VERSION}" >"${log}" 2>&1; then
  fail "pip install litellm[proxy]==${LITELLM_VERSION} (bounded at ${install_timeout} s)"
fi
if ! "${executable}" --version >"${log}" 2>&1; then
  fail "${executable} --version"
fi
echo "${marker_text}" >"${marker}"

echo "install-litellm: installed in $(elapsed)" >&2
echo "${executable}"
