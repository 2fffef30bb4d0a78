#!/usr/bin/env bash
# Delivery checks (issue 5), run by .ci/test.sh on a fresh machine that has Go, Node/npm and Debian's packages but
# no Docker engine. What Docker would prove, this proves another way:
#   1. actionlint (with shellcheck) over .github/workflows, and every third-party action pinned to a commit SHA;
#   2. dockerlinter (hadolint's rules, on npm) over both Dockerfiles, plus a canary that must fail;
#   3. the gateway binary built exactly as Dockerfile.gateway builds it (flags read from its ARG lines), for
#      linux/amd64 and linux/arm64, checked static, stamped and for the right architecture;
#   4. that binary with the Dockerfile's file capability, run as the image's non-root user, binding port 80;
#   5. the native binary on its emulator: `bedrock-gateway smoke` passes (and fails with a wrong key), and
#      `bedrock-gateway healthcheck` exits 0 while it is up and 1 once it is down.
# Tools are installed into a cache outside the repository (DELIVERY_TOOLS) and reused by later runs.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12 # github.com/rhysd/actionlint, from the Go module proxy
DOCKERLINTER_VERSION=2.0.0 # npm "dockerlinter" (buddy-works/dockerfile-linter): hadolint's rule set in JavaScript
tools=${DELIVERY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/openwebui-bedrock/delivery-tools}
mkdir -p "$tools/bin"
export PATH="$tools/bin:$PATH"

step() { printf '\n--- delivery: %s\n' "$*"; }
fail() {
	printf 'FAIL (delivery): %s\n' "$*" >&2
	exit 1
}

work=$(mktemp -d)
gateway_pid=""
cleanup() {
	if [ -n "$gateway_pid" ]; then kill "$gateway_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------------------------
step "tools"
missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v setcap >/dev/null || missing+=(libcap2-bin)
command -v setpriv >/dev/null || missing+=(util-linux)
command -v file >/dev/null || missing+=(file)
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing Debian packages: ${missing[*]}"
	if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$("$tools/bin/actionlint" --version 2>/dev/null | head -1)" != "$ACTIONLINT_VERSION" ]; then
	echo "installing actionlint $ACTIONLINT_VERSION"
	GOBIN="$tools/bin" GOFLAGS="" GOWORK=off go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
dockerlinter="$tools/npm/node_modules/.bin/dockerlinter"
if [ ! -x "$dockerlinter" ] || [ "$(node -p "require('$tools/npm/node_modules/dockerlinter/package.json').version" 2>/dev/null)" != "$DOCKERLINTER_VERSION" ]; then
	echo "installing dockerlinter $DOCKERLINTER_VERSION"
	mkdir -p "$tools/npm"
	# --ignore-scripts: its postinstall downloads a ShellCheck binary from GitHub, which this machine cannot reach;
	# it runs Debian's shellcheck from PATH instead. (It declares node >= 22 but runs on Node 20.)
	npm install --prefix "$tools/npm" --no-audit --no-fund --ignore-scripts --loglevel=error \
		"dockerlinter@$DOCKERLINTER_VERSION" >/dev/null
fi
echo "actionlint $(actionlint --version | head -1), dockerlinter $DOCKERLINTER_VERSION, $(shellcheck --version | sed -n 2p)"

# ---------------------------------------------------------------------------------------------------------------
step "shellcheck .ci/test-delivery.sh"
shellcheck .ci/test-delivery.sh

step "actionlint .github/workflows"
actionlint -color=false
# Third-party actions run with our OIDC token: pin each to a full commit SHA (a tag can be moved).
unpinned=$(grep -nE '^\s*(-\s*)?uses:' .github/workflows/*.yml | grep -vE 'uses:\s*[^@#]+@[0-9a-f]{40}(\s|$)' || true)
[ -z "$unpinned" ] || fail "actions not pinned to a commit SHA:"$'\n'"$unpinned"
# Long-lived AWS keys have no place in any workflow: everything assumes a role over OIDC.
if grep -nE 'aws-(access-key-id|secret-access-key)|AWS_SECRET_ACCESS_KEY' .github/workflows/*.yml; then
	fail "a workflow references long-lived AWS keys"
fi
echo "workflows: lint-clean, every action SHA-pinned, OIDC only"

# ---------------------------------------------------------------------------------------------------------------
step "dockerlinter Dockerfile.gateway services/open-webui/Dockerfile"
for f in Dockerfile.gateway services/open-webui/Dockerfile; do
	"$dockerlinter" -f "$f" -e info || fail "dockerlinter: $f"
	echo "$f: clean"
done
# Canary: a Dockerfile with known defects must fail, or the linter is not really running.
printf 'FROM debian:latest\nRUN cd /tmp && apt-get install curl\n' >"$work/Dockerfile.canary"
if "$dockerlinter" -f "$work/Dockerfile.canary" -e info >/dev/null 2>&1; then
	fail "dockerlinter passed a Dockerfile with known defects: it is not linting"
fi
# Open WebUI is pinned to a release, never a moving tag.
owui_from=$(grep -m1 '^FROM ' services/open-webui/Dockerfile)
[[ $owui_from =~ ^FROM\ ghcr\.io/open-webui/open-webui:v[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
	fail "services/open-webui/Dockerfile must start FROM ghcr.io/open-webui/open-webui:vX.Y.Z, got: $owui_from"
# The image contract the CDK task definition relies on.
for want in 'COPY --from=build /out/bedrock-gateway /bedrock-gateway' 'USER 65532:65532' 'ENV PORT=80' \
	'HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/bedrock-gateway", "healthcheck"]' \
	'ENTRYPOINT ["/bedrock-gateway"]'; do
	grep -qxF "$want" Dockerfile.gateway || fail "Dockerfile.gateway lost: $want"
done
echo "images: linted, Open WebUI pinned ($owui_from), gateway image contract intact"

# ---------------------------------------------------------------------------------------------------------------
step "gateway binary built with Dockerfile.gateway's flags (linux/amd64, linux/arm64)"
# Dockerfile.gateway is the one place the flags are written; read them from its ARG lines.
arg() {
	local v
	v=$(sed -nE "s/^ARG $1=\"?([^\"]*)\"?\$/\1/p" Dockerfile.gateway)
	[ -n "$v" ] || fail "Dockerfile.gateway has no ARG $1=…"
	printf '%s' "$v"
}
cgo=$(arg CGO_ENABLED)
build_flags=$(arg GO_BUILD_FLAGS)
ldflags=$(arg GO_LDFLAGS)
# …and make sure the RUN line still builds with exactly those ARGs, so the two cannot drift apart. (The ${…} are
# the Dockerfile's own text, matched literally.)
# shellcheck disable=SC2016,SC1003
for want in 'ENV GOWORK=off' \
	'    CGO_ENABLED=${CGO_ENABLED} GOOS=${TARGETOS} GOARCH=${TARGETARCH} \' \
	'    go build ${GO_BUILD_FLAGS} -ldflags "${GO_LDFLAGS} -X main.version=${VERSION}" -o /out/bedrock-gateway ./cmd/bedrock-gateway \'; do
	grep -qxF -- "$want" Dockerfile.gateway ||
		fail "Dockerfile.gateway's build no longer has this line; keep the two in step: $want"
done
version="ci-$(git rev-parse --short=12 HEAD 2>/dev/null || echo nogit)"
echo "CGO_ENABLED=$cgo GOWORK=off go build $build_flags -ldflags \"$ldflags -X main.version=$version\""
read -ra build_args <<<"$build_flags"
for arch in amd64 arm64; do
	# GOFLAGS is cleared because the image build has none.
	if ! (cd gateway && CGO_ENABLED=$cgo GOOS=linux GOARCH=$arch GOWORK=off GOFLAGS="" \
		go build "${build_args[@]}" -ldflags "$ldflags -X main.version=$version" \
		-o "$work/$arch/bedrock-gateway" ./cmd/bedrock-gateway) 2>"$work/build.err"; then
		cat "$work/build.err" >&2
		if grep -q 'missing go.sum entry' "$work/build.err"; then
			fail "gateway/go.sum is incomplete for a standalone build, which is how the image builds the module (its
    checksums are only in go.work.sum). Fix: cd gateway && GOWORK=off go mod tidy, and commit go.mod/go.sum."
		fi
		fail "the gateway does not build for linux/$arch with the Dockerfile's flags"
	fi
	bin="$work/$arch/bedrock-gateway"
	info=$(file -b "$bin")
	case $arch in
	amd64) [[ $info == *x86-64* ]] || fail "$arch binary is not x86-64: $info" ;;
	arm64) [[ $info == *aarch64* ]] || fail "$arch binary is not aarch64: $info" ;;
	esac
	[[ $info == *"statically linked"* ]] || fail "$arch binary is not static: $info"
	meta=$(go version -m "$bin")
	for setting in "CGO_ENABLED=$cgo" "GOARCH=$arch" "-trimpath=true"; do
		grep -qE "build[[:space:]]+$setting\$" <<<"$meta" || fail "$arch binary lacks build setting $setting"
	done
	# -trimpath keeps -ldflags out of the build info, so look for the stamped string itself (the native binary
	# also prints it below).
	grep -qaF -- "$version" "$bin" || fail "$arch binary is not stamped with $version"
	if grep -q 'vcs.revision' <<<"$meta"; then fail "$arch binary embeds VCS data; the image build has none"; fi
	printf '%s: %s, %s\n' "$arch" "$(du -h "$bin" | cut -f1)" "${info%%,*}, statically linked"
done

native=$(go env GOARCH)
[ -x "$work/$native/bedrock-gateway" ] || fail "no binary for this machine's architecture ($native)"
bin="$work/$native/bedrock-gateway"
[ "$("$bin" version)" = "$version" ] || fail "bedrock-gateway version printed '$("$bin" version)', want $version"
echo "bedrock-gateway version → $version"

# ---------------------------------------------------------------------------------------------------------------
# Ports: an unused loopback port, found by trying to connect (bash's /dev/tcp); nothing here needs python or ss.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	fail "no free port found"
}
# wait_healthy PORT PID: poll with the binary's own healthcheck (exactly what ECS runs) until it exits 0.
wait_healthy() {
	for _ in $(seq 300); do
		if PORT=$1 "$bin" healthcheck 2>/dev/null; then return 0; fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

step "port 80 as non-root via the file capability (what the runtime stage relies on)"
unpriv=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo unknown)
if [ "$(id -u)" != 0 ]; then
	echo "SKIPPED (loudly): needs root to setcap and to switch to uid 65532; this shell is uid $(id -u)"
elif [ "$unpriv" = unknown ] || [ "$unpriv" -le 80 ]; then
	echo "SKIPPED (loudly): net.ipv4.ip_unprivileged_port_start is $unpriv here, so port 80 is open to everyone and the capability cannot be told apart"
elif (exec 3<>/dev/tcp/127.0.0.1/80) 2>/dev/null; then
	echo "SKIPPED (loudly): something already listens on 127.0.0.1:80"
else
	capdir="$work/cap"
	mkdir -p "$capdir" && cp "$bin" "$capdir/bedrock-gateway" && chmod 755 "$work" "$capdir"
	as_nonroot=(setpriv --reuid=65532 --regid=65532 --clear-groups --inh-caps=-all)
	# Control: without the capability, a non-root process must be refused port 80 (and exit).
	"${as_nonroot[@]}" env API_KEY=control PORT=80 "$capdir/bedrock-gateway" -emulator -addr 127.0.0.1:80 >"$work/control.log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		fail "uid 65532 kept running on port 80 without the capability: the check below would prove nothing"
	fi
	grep -qi 'permission denied' "$work/control.log" ||
		fail "without the capability the gateway exited, but not for want of permission: $(cat "$work/control.log")"
	if ! setcap cap_net_bind_service=+ep "$capdir/bedrock-gateway" 2>"$work/setcap.err"; then
		echo "SKIPPED (loudly): this filesystem does not take file capabilities: $(cat "$work/setcap.err")"
	else
		"${as_nonroot[@]}" env API_KEY=cap-check PORT=80 "$capdir/bedrock-gateway" -emulator -addr 127.0.0.1:80 >"$work/cap.log" 2>&1 &
		gateway_pid=$!
		wait_healthy 80 "$gateway_pid" || { cat "$work/cap.log" >&2; fail "uid 65532 could not serve on port 80 with cap_net_bind_service"; }
		"${as_nonroot[@]}" env PORT=80 "$capdir/bedrock-gateway" healthcheck || fail "healthcheck as uid 65532 on port 80 failed"
		kill "$gateway_pid"
		wait "$gateway_pid" 2>/dev/null || true
		gateway_pid=""
		echo "uid 65532 served /health on 127.0.0.1:80 with cap_net_bind_service, and was refused without it"
	fi
fi

# ---------------------------------------------------------------------------------------------------------------
step "bedrock-gateway smoke and healthcheck against the gateway on its emulator"
# `smoke` is a subcommand of main, wired to gateway/smoke. Say so plainly if it is not there, rather than letting
# the flag parser start a real gateway with "smoke" as a stray argument.
grep -q '"smoke"' gateway/cmd/bedrock-gateway/*.go ||
	fail "bedrock-gateway has no 'smoke' subcommand yet (gateway/cmd/bedrock-gateway must call gateway/smoke.Run)"
port=$(free_port)
key="ci-delivery-$RANDOM$RANDOM"
API_KEY=$key PORT=$port "$bin" -emulator -addr "127.0.0.1:$port" >"$work/gateway.log" 2>&1 &
gateway_pid=$!
wait_healthy "$port" "$gateway_pid" || { cat "$work/gateway.log" >&2; fail "the gateway did not become healthy on port $port"; }
PORT=$port "$bin" healthcheck || fail "healthcheck exited $? while the gateway is up, want 0"
echo "healthcheck while up: exit 0"

"$bin" smoke --url "http://127.0.0.1:$port/api/v1" --key "$key" --embedding-model cohere.embed-multilingual-v3 ||
	{ tail -n 20 "$work/gateway.log" >&2; fail "bedrock-gateway smoke failed against the emulator"; }

set +e
"$bin" smoke --url "http://127.0.0.1:$port/api/v1" --key "wrong-$key" >"$work/smoke-wrong-key.txt" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$work/smoke-wrong-key.txt"; fail "smoke with a wrong key exited $rc, want 1"; }
grep -q 'HTTP 401' "$work/smoke-wrong-key.txt" || fail "smoke with a wrong key did not report the 401"
echo "smoke with a wrong key: exit 1, 401 reported"

kill "$gateway_pid"
wait "$gateway_pid" 2>/dev/null || true
gateway_pid=""
set +e
PORT=$port "$bin" healthcheck 2>/dev/null
rc=$?
set -e
[ "$rc" = 1 ] || fail "healthcheck exited $rc with the gateway down, want 1"
echo "healthcheck while down: exit 1"

printf '\n--- delivery: all checks passed\n'
